import struct
import zlib

import cv2
import numpy as np
import pytest

from ppocr.data.imaug import build_transforms
from ppocr.data.imaug.operators import DecodeImage, KeepKeys, NormalizeImage, ToCHWImage, parse_scale
from ppocr.utils.errors import ConfigError, DataError, SampleError


def _png(img):
    ok, buf = cv2.imencode(".png", img)
    assert ok
    return buf.tobytes()


def _palette_png(indices, palette):
    """A minimal 8-bit palette PNG (colour type 3), which cv2 cannot write itself."""
    def chunk(tag, payload):
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload))
    h, w = indices.shape
    raw = b"".join(b"\x00" + indices[y].astype(np.uint8).tobytes() for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
            + chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).ravel())) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


@pytest.fixture
def bgr():
    rng = np.random.RandomState(0)
    return rng.randint(0, 256, (6, 9, 3), dtype=np.uint8)


def test_decode_bgr_rgb_gray(bgr):
    out = DecodeImage("BGR")({"image": _png(bgr)})["image"]
    assert out.dtype == np.uint8 and np.array_equal(out, bgr)
    rgb = DecodeImage("RGB")({"image": _png(bgr)})["image"]
    assert np.array_equal(rgb, bgr[:, :, ::-1])
    gray = DecodeImage("GRAY")({"image": _png(bgr)})["image"]
    assert gray.shape == (6, 9, 1)
    assert np.array_equal(gray[:, :, 0], cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    chw = DecodeImage("BGR", channel_first=True)({"image": _png(bgr)})["image"]
    assert chw.shape == (3, 6, 9)


def test_decode_jpeg_and_grayscale_file(bgr):
    ok, jpg = cv2.imencode(".jpg", bgr)
    assert DecodeImage()({"image": jpg.tobytes()})["image"].shape == (6, 9, 3)
    g = np.arange(54, dtype=np.uint8).reshape(6, 9)
    out = DecodeImage()({"image": _png(g)})["image"]
    assert out.shape == (6, 9, 3) and np.array_equal(out[:, :, 1], g)


def test_decode_rgba_composites_over_white():
    img = np.zeros((2, 2, 4), np.uint8)
    img[0, 0] = (0, 0, 255, 255)  # opaque red
    img[1, 1] = (0, 0, 0, 0)  # fully transparent black
    out = DecodeImage()({"image": _png(img)})["image"]
    assert out.shape == (2, 2, 3)
    assert out[0, 0].tolist() == [0, 0, 255]
    assert out[1, 1].tolist() == [255, 255, 255]


def test_decode_16bit_scaled_to_8bit():
    img = np.array([[0, 65535], [257 * 100, 257 * 200]], np.uint16)
    out = DecodeImage()({"image": _png(img)})["image"]
    assert out.dtype == np.uint8
    assert out[:, :, 0].tolist() == [[0, 255], [100, 200]]


def test_decode_palette_png():
    idx = np.array([[0, 1], [1, 0]])
    out = DecodeImage("RGB")({"image": _palette_png(idx, [[255, 0, 0], [0, 0, 255]])})["image"]
    assert out.shape == (2, 2, 3)
    assert out[0, 0].tolist() == [255, 0, 0] and out[0, 1].tolist() == [0, 0, 255]


@pytest.mark.parametrize("buf", [b"", b"this is not an image at all"])
def test_decode_bad_bytes(buf):
    with pytest.raises(SampleError, match=r"cannot decode image /x/a\.png.*empty or not an image"):
        DecodeImage()({"image": buf, "img_path": "/x/a.png"})


def test_decode_validates_args():
    with pytest.raises(ValueError, match="img_mode"):
        DecodeImage("HSV")
    with pytest.raises(TypeError, match="channel_first"):
        DecodeImage(channel_first="yes")
    assert "img_mode='RGB'" in repr(DecodeImage("RGB"))


@pytest.mark.parametrize("text,value", [("1./255.", 1 / 255), ("1/255", 1 / 255), (" 0.5 ", 0.5),
                                        ("1e-2", 0.01), (".5/2", 0.25)])
def test_parse_scale(text, value):
    assert parse_scale(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["__import__('os')", "1/0", "1//2", "", "1/255/2", "abc"])
def test_parse_scale_rejects(text):
    with pytest.raises(ValueError, match="scale"):
        parse_scale(text)


def test_normalize_image_from_config():
    ops = build_transforms([{"NormalizeImage": {"scale": "1./255.", "mean": [0.5, 0.5, 0.5],
                                                "std": [0.5, 0.5, 0.5], "order": "hwc"}}], None, "T")
    img = np.array([[[0, 255, 51]]], np.uint8)
    out = ops({"image": img})["image"]
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0, 0], [-1.0, 1.0, -0.6], atol=1e-6)
    with pytest.raises(ConfigError, match="scale"):
        build_transforms([{"NormalizeImage": {"scale": "eval('1')"}}], None, "T")


def test_normalize_chw_defaults():
    op = NormalizeImage(order="chw")
    out = op({"image": np.full((3, 2, 2), 255, np.uint8)})["image"]
    np.testing.assert_allclose(out[:, 0, 0], (1 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225]),
                               rtol=1e-5)
    with pytest.raises(ValueError, match="std"):
        NormalizeImage(std=[0, 1, 1])


def test_to_chw_and_keep_keys():
    out = ToCHWImage()({"image": np.zeros((4, 5, 3), np.uint8)})
    assert out["image"].shape == (3, 4, 5)
    data = {"a": 1, "image": 2, "label": 3}
    kept = KeepKeys(["label", "image"])(data)
    assert list(kept) == ["label", "image"] and kept is not data
    with pytest.raises(DataError, match=r"'length'.*keys present: 'a', 'image', 'label'"):
        KeepKeys(["image", "length"])(data)
    with pytest.raises(TypeError, match="keep_keys"):
        KeepKeys("image")


def test_resize_to_fixed_size():
    from ppocr.data.imaug.operators import Resize

    img = np.arange(20 * 30 * 3, dtype=np.uint8).reshape(20, 30, 3)
    polys = np.array([[[0, 0], [30, 0], [30, 20], [0, 20]]], np.float32)
    out = build_transforms([{"Resize": {"size": [10, 60]}}], None, "t")({"image": img, "polys": polys.copy(),
                                                                          "bbox": [[1, 2, 3, 4]]})
    assert out["image"].shape == (10, 60, 3) and out["image"].dtype == np.uint8
    np.testing.assert_allclose(out["polys"], [[[0, 0], [60, 0], [60, 10], [0, 10]]])  # label vertex i stays vertex i
    assert out["bbox"] == [[1, 2, 3, 4]]  # KIE token boxes are page-relative: untouched
    assert Resize([8, 8])({"image": np.zeros((5, 7, 1), np.uint8)})["image"].shape == (8, 8, 1)
    assert repr(Resize([224, 224])) == "Resize(size=[224, 224])"
    for bad in ([224], (0, 5), [2.5, 3], "224", [True, 4]):
        with pytest.raises(ValueError, match=r"size must be \[h, w\]"):
            Resize(bad)
    with pytest.raises(SampleError, match="DecodeImage"):
        Resize([4, 4])({"image": b"not decoded"})
