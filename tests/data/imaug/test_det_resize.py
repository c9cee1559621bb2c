"""DetResizeForTest: output sizes and ratios per mode, the side cap on huge images, argument checks."""
import tracemalloc

import numpy as np
import pytest

from ppocr.data.imaug import build_transforms
from ppocr.data.imaug.det_resize import DetResizeForTest
from ppocr.utils.errors import ConfigError


@pytest.mark.parametrize("opts,src,expected", [
    ({}, (480, 640), (736, 992)),                                            # default: min side >= 736
    ({"limit_side_len": 736, "limit_type": "min"}, (1000, 1500), (992, 1504)),  # already large enough: ratio 1
    ({"limit_side_len": 960, "limit_type": "max"}, (480, 640), (480, 640)),
    ({"limit_side_len": 960, "limit_type": "max"}, (1000, 2000), (480, 960)),
    ({"limit_side_len": 960, "limit_type": "max"}, (10, 13), (32, 32)),        # never below 32
    # PaddleOCR's arithmetic: 551 * 0.96 = 528.96 -> int 528 -> 16.5 strides -> 16 (half to even), not 17
    ({"limit_side_len": 960, "limit_type": "max"}, (1000, 551), (960, 512)),
    ({"limit_side_len": 960, "limit_type": "resize_long"}, (300, 500), (576, 960)),
    ({"image_shape": [736, 1280]}, (480, 640), (736, 1280)),
    ({"image_shape": [736, 1280], "keep_ratio": True}, (480, 640), (736, 992)),  # ceil(981.3 / 32) * 32
    ({"resize_long": 960}, (300, 500), (576, 960)),
    ({"limit_side_len": 736, "limit_type": "min", "max_side_limit": 1024}, (500, 2000), (256, 1024)),
])
def test_output_size_and_shape_list(opts, src, expected):
    img = np.random.RandomState(0).randint(0, 256, src + (3,), dtype=np.uint8)
    polys = np.array([[[1, 2], [30, 2], [30, 9], [1, 9]]], np.float32)
    out = DetResizeForTest(**opts)({"image": img, "polys": polys.copy()})
    assert out["image"].shape == expected + (3,) and out["image"].dtype == np.uint8
    assert out["image"].shape[0] % 32 == 0 and out["image"].shape[1] % 32 == 0
    shape = out["shape_list"]
    assert shape.dtype == np.float32 and shape.shape == (4,)
    np.testing.assert_allclose(shape, [src[0], src[1], expected[0] / src[0], expected[1] / src[1]], rtol=1e-6)
    assert out["shape"] is shape  # PaddleOCR's key name for the same array
    np.testing.assert_array_equal(out["polys"], polys)  # ground truth stays in source coordinates


def test_grey_image_keeps_its_channel_axis():
    out = DetResizeForTest(limit_side_len=64, limit_type="max")({"image": np.zeros((100, 50, 1), np.uint8)})
    assert out["image"].shape == (64, 32, 1)


def test_huge_image_is_capped_without_large_allocations():
    img = np.zeros((10000, 8000, 1), np.uint8)  # 80 MB, allocated before tracing
    op = DetResizeForTest()  # min side 736: ratio 1 would keep 10000 x 8000
    tracemalloc.start()
    try:
        out = op({"image": img})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out["image"].shape == (4000, 3200, 1)
    assert peak < 2 * 4000 * 3200  # only the output (12.8 MB), no float copy of the input
    np.testing.assert_allclose(out["shape_list"], [10000, 8000, 0.4, 0.4])
    assert DetResizeForTest(limit_side_len=960, limit_type="max")({"image": img})["image"].shape == (960, 768, 1)


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="only one resize mode, got image_shape and resize_long"):
        DetResizeForTest(image_shape=[736, 1280], resize_long=960)
    with pytest.raises(ValueError, match="only one resize mode"):
        DetResizeForTest(limit_type="max", image_shape=[64, 64])
    with pytest.raises(ValueError, match=r"multiples of 32, got \[730, 1280\]; use e.g. \[736, 1280\]"):
        DetResizeForTest(image_shape=[730, 1280])
    with pytest.raises(ValueError, match="limit_type must be one of 'max', 'min', 'resize_long', got 'long'"):
        DetResizeForTest(limit_type="long")
    with pytest.raises(ValueError, match="keep_ratio only applies with image_shape"):
        DetResizeForTest(keep_ratio=True)
    with pytest.raises(ValueError, match="limit_side_len must be a positive integer"):
        DetResizeForTest(limit_side_len=0)
    with pytest.raises(ConfigError, match="did you mean 'limit_side_len'"):
        build_transforms([{"DetResizeForTest": {"limit_side": 960}}], None, "T")
    assert repr(DetResizeForTest()) == "DetResizeForTest(limit_side_len=736, limit_type='min', max_side_limit=4000)"
    assert repr(DetResizeForTest(image_shape=[64, 96])) == \
        "DetResizeForTest(image_shape=[64, 96], keep_ratio=False, max_side_limit=4000)"
