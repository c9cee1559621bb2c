"""warp_perspective gives OpenCV 4's warpPerspective pixels (bicubic, replicated border) on any OpenCV.

The expected digests were taken from ``cv2.warpPerspective`` of opencv-python-headless 4.10.0.84 (numpy 1.26)
on the same generated image, the OpenCV PaddleOCR's released results were made with.
"""
import hashlib

import cv2
import numpy as np
import pytest

from ppocr.utils.image_warp import COEF_SCALE, TAB_SIZE, cubic_table, perspective_grid, warp_perspective

QUAD = np.float32([[20.0, 31.0], [137.0, 12.0], [149.0, 70.0], [25.0, 101.0]])
OPENCV4 = {  # (width, height) -> sha256 of cv2.warpPerspective's output under OpenCV 4.10
    (121, 70): "0f56dd9d0b82ddab4a782a8de248ad9bd7e9dc6d6a631f2ab39be6592de5f396",
    (150, 13): "4ac01551cad23cc6f8bf74e478526f47d0837d6cfc8b34e482f5cf93920699e2",  # two blocks per row
}


def _image():
    rng = np.random.default_rng(7)
    img = cv2.resize(rng.integers(0, 256, (30, 40, 3)).astype(np.uint8), (160, 120), interpolation=cv2.INTER_CUBIC)
    assert hashlib.sha256(img.tobytes()).hexdigest()[:16] == "131cffdef3ac69ad"  # the image the digests were made on
    return img


def _matrix(w, h):
    return cv2.getPerspectiveTransform(QUAD, np.float32([[0, 0], [w, 0], [w, h], [0, h]]))


@pytest.mark.parametrize("size", sorted(OPENCV4))
def test_pixels_are_opencv4s(size):
    img = _image()
    out = warp_perspective(img, _matrix(*size), size)
    assert out.shape == (size[1], size[0], 3) and out.dtype == np.uint8
    assert hashlib.sha256(out.tobytes()).hexdigest() == OPENCV4[size]
    ref = cv2.warpPerspective(img, _matrix(*size), size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    if cv2.__version__.startswith("4."):
        np.testing.assert_array_equal(out, ref)
    else:  # other releases interpolate differently, by a few levels
        assert np.abs(out.astype(int) - ref.astype(int)).max() <= 8


def test_grey_images_and_identity():
    img = _image()[:, :, 1].copy()
    out = warp_perspective(img, np.eye(3), (50, 40))
    np.testing.assert_array_equal(out, img[:40, :50])  # whole-pixel positions: the pixels themselves
    shifted = warp_perspective(img, np.float64([[1, 0, -10], [0, 1, -5], [0, 0, 1]]), (30, 20))
    np.testing.assert_array_equal(shifted, img[5:25, 10:40])


def test_table_and_grid():
    table = cubic_table()
    assert table.shape == (TAB_SIZE * TAB_SIZE, 4, 4)
    assert (table.sum(axis=(1, 2)) == COEF_SCALE).all()
    assert (table[0] == np.pad([[COEF_SCALE]], ((1, 2), (1, 2)))).all()  # fraction 0: the pixel itself
    xy, alpha = perspective_grid(np.float64([[0.5, 0, 0.25], [0, 1, 0], [0, 0, 1]]), 4, 1)
    assert xy[0, :, 0].tolist() == [0, 0, 1, 1] and (alpha[0] % TAB_SIZE).tolist() == [8, 24, 8, 24]


def test_errors():
    img = _image()
    with pytest.raises(ValueError, match="size"):
        warp_perspective(img, np.eye(3), (0, 10))
    with pytest.raises(ValueError, match="uint8"):
        warp_perspective(img.astype(np.float32), np.eye(3), (10, 10))
    with pytest.raises(ValueError, match="singular"):
        warp_perspective(img, np.zeros((3, 3)), (10, 10))
