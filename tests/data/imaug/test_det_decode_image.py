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


def _files(tmp_path):
    """Image files of every kind a user brings, written to disk."""
    rng = np.random.default_rng(0)
    bgr = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
    bgra = np.dstack([bgr, rng.integers(0, 256, (12, 16), dtype=np.uint8)])
    files = {"png_bgr": _encode(".png", bgr), "png_bgra": _encode(".png", bgra),
             "png16_bgra": _encode(".png", bgra.astype(np.uint16) * 257), "tif_bgra": _encode(".tif", bgra),
             "jpg": _encode(".jpg", bgr), "png_grey_alpha": _grey_alpha_png(bgr[:, :, 0], bgra[:, :, 3])}
    paths = {}
    for name, data in files.items():
        paths[name] = tmp_path / f"{name}.{name.split('_')[0].rstrip('16')}"
        paths[name].write_bytes(data)
    return paths


def test_training_serving_and_line_readers_see_identical_pixels(tmp_path):
    """One decoder and one channel conversion: DecodeImage (training), read_image (serving), the predictors'
    array conversion and the line datasets' reader give the same pixels for the same file."""
    from ppocr.data.imaug import functional as F
    from ppocr.data.vgsl_line_dataset import read_image as read_line_page
    from ppocr.inference.utility import read_image

    for name, path in _files(tmp_path).items():
        train = DecodeImage("BGR")({"image": path.read_bytes(), "img_path": str(path)})["image"]
        served = read_image(str(path))
        assert served is not None and served.dtype == np.uint8, name
        np.testing.assert_array_equal(served, train, err_msg=name)
        np.testing.assert_array_equal(F.to_bgr(served), train, err_msg=name)  # predictors convert arrays again
        raw = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(F.to_bgr(raw), train, err_msg=name)  # an array a user decoded themselves
        line = read_line_page(str(path))
        np.testing.assert_array_equal(F.to_channels(line, 3), train, err_msg=name)
        grey = DecodeImage("GRAY")({"image": path.read_bytes()})["image"]
        if name != "jpg":  # JPEGs decode straight to grey (libjpeg's luma), as PaddleOCR's GRAY mode
            np.testing.assert_array_equal(grey, F.to_channels(train, 1), err_msg=name)
    # and those pixels are the right ones: alpha composited over white, not dropped
    bgra = cv2.imdecode(np.fromfile(str(tmp_path / "png_bgra.png"), np.uint8), cv2.IMREAD_UNCHANGED).astype(np.float64)
    want = np.round(bgra[:, :, :3] * bgra[:, :, 3:] / 255 + 255 * (1 - bgra[:, :, 3:] / 255)).astype(np.uint8)
    np.testing.assert_array_equal(read_image(str(tmp_path / "png_bgra.png")), want)
    assert read_image(str(tmp_path / "missing.png")) is None
