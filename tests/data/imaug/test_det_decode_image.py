"""DecodeImage on the inputs detection data brings: grey, grey+alpha, RGBA, 16-bit PNG/TIFF, float TIFF."""
import struct
import zlib

import cv2
import numpy as np
import pytest

from ppocr.data.imaug.operators import DecodeImage


def _encode(ext, img):
    ok, buf = cv2.imencode(ext, img)
    assert ok
    return buf.tobytes()


def _grey_alpha_png(grey, alpha, bits=8):
    """A minimal grey+alpha PNG (colour type 4), which cv2 cannot write itself."""
    def chunk(tag, payload):
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload))
    h, w = grey.shape
    dtype = ">u2" if bits == 16 else np.uint8
    pixels = np.stack([grey, alpha], axis=2).astype(dtype)
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bits, 4, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("ext", [".png", ".jpg", ".tif", ".bmp"])
@pytest.mark.parametrize("mode", ["BGR", "RGB"])
def test_grey_files_give_three_equal_channels(ext, mode):
    grey = np.tile(np.arange(0, 240, 20, dtype=np.uint8), (6, 1))
    out = DecodeImage(mode)({"image": _encode(ext, grey)})["image"]
    assert out.shape == (6, 12, 3) and out.dtype == np.uint8
    assert np.array_equal(out[:, :, 0], out[:, :, 1]) and np.array_equal(out[:, :, 1], out[:, :, 2])
    if ext != ".jpg":
        assert np.array_equal(out[:, :, 0], grey)


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_16_bit_grey_is_scaled_to_8_bit(ext):
    img = np.array([[0, 257, 257 * 128], [257 * 200, 65535, 65534]], np.uint16)
    out = DecodeImage()({"image": _encode(ext, img)})["image"]
    assert out.shape == (2, 3, 3) and out.dtype == np.uint8
    assert out[:, :, 0].tolist() == [[0, 1, 128], [200, 255, 255]]


@pytest.mark.parametrize("ext", [".png", ".tif"])
@pytest.mark.parametrize("mode", ["BGR", "RGB"])
def test_16_bit_rgba_is_scaled_and_composited_on_white(ext, mode):
    img = np.zeros((2, 2, 4), np.uint16)
    img[0, 0] = (0, 0, 65535, 65535)          # opaque red (BGRA)
    img[1, 1] = (65535, 0, 0, 32896)          # blue at alpha 128/255
    out = DecodeImage(mode)({"image": _encode(ext, img)})["image"]
    assert out.shape == (2, 2, 3) and out.dtype == np.uint8
    bgr = out if mode == "BGR" else out[:, :, ::-1]
    assert bgr[0, 0].tolist() == [0, 0, 255]
    assert bgr[0, 1].tolist() == [255, 255, 255]  # fully transparent black -> white
    assert bgr[1, 1].tolist() == [255, 127, 127]


def test_8_bit_rgba_png_and_gray_mode():
    img = np.zeros((3, 3, 4), np.uint8)
    img[..., 1] = 200
    img[..., 3] = 255
    img[2, 2, 3] = 0
    out = DecodeImage()({"image": _encode(".png", img)})["image"]
    assert out[0, 0].tolist() == [0, 200, 0] and out[2, 2].tolist() == [255, 255, 255]
    grey = DecodeImage("GRAY")({"image": _encode(".png", img)})["image"]
    assert grey.shape == (3, 3, 1) and grey[2, 2, 0] == 255


@pytest.mark.parametrize("bits", [8, 16])
def test_grey_alpha_png(bits):
    scale = 257 if bits == 16 else 1
    grey = np.array([[0, 100], [200, 50]]) * scale
    alpha = np.array([[255, 0], [255, 128]]) * scale
    out = DecodeImage()({"image": _grey_alpha_png(grey, alpha, bits)})["image"]
    assert out.shape == (2, 2, 3) and out.dtype == np.uint8
    assert out[:, :, 0].tolist() == [[0, 255], [200, 152]]  # 50 * 0.502 + 255 * 0.498 = 152.1
    assert np.array_equal(out[:, :, 0], out[:, :, 2])


def test_float_tiff_is_scaled():
    img = np.array([[0.0, 0.5, 1.0]], np.float32)
    out = DecodeImage()({"image": _encode(".tif", img)})["image"]
    assert out[0, :, 0].tolist() == [0, 128, 255]
