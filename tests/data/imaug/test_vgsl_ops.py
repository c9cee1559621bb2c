"""VGSLResizeLine and VGSLLabelEncode: shapes, normalisation, bad lines, codec encoding, transform contract."""
import cv2
import numpy as np
import pytest

import ppocr  # noqa: F401  (registers components)
from ppocr.data.imaug import build_transforms
from ppocr.data.imaug.vgsl_ops import VGSLLabelEncode, VGSLResizeLine
from ppocr.registry import TRANSFORMS
from ppocr.vgsl.codec import Codec
from ppocr.utils.errors import ConfigError, SampleError


def _line(h=30, w=90, colour=False):
    img = np.full((h, w), 255, np.uint8)
    img[h // 3: 2 * h // 3, 5: w - 5] = 0
    return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if colour else img


def test_resize_keeps_aspect_and_inverts():
    out = VGSLResizeLine([1, 15, 0])({"image": _line()})["image"]
    assert out.shape == (1, 15, 45) and out.dtype == np.float32
    assert out[0, 0, 0] == 0.0 and out[0, 7, 20] == pytest.approx(1.0)  # white -> 0, ink -> 1
    plain = VGSLResizeLine([1, 15, 0], invert=False)({"image": _line()})["image"]
    assert plain[0, 0, 0] == pytest.approx(1.0)


@pytest.mark.parametrize("shape,src,expected", [
    ([3, 15, 0], _line(colour=False), (3, 15, 45)),   # grey -> colour
    ([1, 15, 0], _line(colour=True), (1, 15, 45)),    # colour -> grey
    ([1, 0, 0], _line(h=20, w=50), (1, 20, 50)),      # variable height: unchanged
    ([1, 15, 100], _line(), (1, 15, 100)),            # fixed width: padded with background
    ([1, 15, 30], _line(), (1, 15, 30)),              # fixed width: squeezed
])
def test_resize_channels_and_widths(shape, src, expected):
    out = VGSLResizeLine(shape)({"image": src})["image"]
    assert out.shape == expected
    if shape[2] == 100:
        assert out[:, :, 45:].max() == 0.0


def test_contrast_stretches_grey_paper_and_ink():
    grey = np.full((30, 90), 200, np.uint8)
    grey[10:20, 5:85] = 90  # grey ink on grey paper
    plain = VGSLResizeLine([1, 30, 0])({"image": grey})["image"]
    out = VGSLResizeLine([1, 30, 0], contrast=True)({"image": grey})["image"]
    assert plain[0, 0, 0] == pytest.approx(55 / 255) and plain[0, 15, 40] == pytest.approx(165 / 255)
    assert out[0, 0, 0] == pytest.approx(0.0, abs=1e-6) and out[0, 15, 40] == pytest.approx(1.0)
    flat = VGSLResizeLine([1, 30, 0], contrast=True)({"image": np.full((30, 90), 200, np.uint8)})["image"]
    assert flat.max() == pytest.approx(55 / 255)  # nothing to stretch: plain scaling


def test_pad_and_encoded_bytes():
    op = VGSLResizeLine([1, 15, 0], pad=4)
    out = op({"image": cv2.imencode(".png", _line())[1].tobytes(), "img_path": "x.png"})["image"]
    assert out.shape == (1, 15, 53) and out[:, :, :4].max() == 0.0 and out[:, :, -4:].max() == 0.0


@pytest.mark.parametrize("img", [np.full((1, 40), 255, np.uint8), np.zeros((0, 10), np.uint8)])
def test_one_pixel_high_or_empty_line_is_a_sample_error(img):
    with pytest.raises(SampleError, match="1 pixel high|empty"):
        VGSLResizeLine([1, 16, 0])({"image": img})


@pytest.mark.parametrize("kwargs,match", [({"image_shape": [2, 16, 0]}, "channels"),
                                          ({"image_shape": [1, 1, 0]}, "height"),
                                          ({"image_shape": [1, 16]}, "image_shape"),
                                          ({"pad": -1}, "pad"), ({"invert": "yes"}, "invert"),
                                          ({"contrast": 1}, "contrast")])
def test_resize_rejects_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        VGSLResizeLine(**kwargs)


def test_label_encode_with_codec():
    codec = Codec.from_texts(["hello world"])
    op = VGSLLabelEncode(codec)
    out = op({"label": "  hello   world "})
    assert out["label"].dtype == np.int64 and out["label"].tolist() == codec.encode("hello world")
    assert int(out["length"]) == 11 and op.character == codec.code_labels()
    with pytest.raises(SampleError, match=r"encoding failed: .*'!' U\+0021.*'X' U\+0058"):
        op({"label": "hello X!"})
    with pytest.raises(SampleError, match="empty"):
        op({"label": "   "})
    with pytest.raises(ConfigError, match="has no codec"):
        VGSLLabelEncode()({"label": "a"})
    with pytest.raises(TypeError, match="Codec"):
        VGSLLabelEncode().set_codec({"a": 1})


@pytest.mark.parametrize("name", [n for n in TRANSFORMS.names() if TRANSFORMS.get(n).__module__.endswith("vgsl_ops")])
def test_transform_contract(name):
    """The registry contract of tests/data/imaug/test_imaug_registry.py, with a line sample."""
    doc = TRANSFORMS.get(name).__doc__ or ""
    assert "Required" in doc and "Modified" in doc and "Added" in doc
    ops = build_transforms([{name: None}], None, "t")
    assert name in repr(ops.ops[-1])
    if name == "VGSLLabelEncode":
        ops.ops[0].set_codec(Codec.from_texts(["ab12"]))
    out = ops({"img_path": "x.png", "label": "ab12", "image": _line()})
    assert isinstance(out, dict) and "image" in out
