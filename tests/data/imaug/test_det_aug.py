"""Detection augmentation: polygons follow the pixels; crops keep text whole; argument checks."""
import cv2
import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from ppocr.data.imaug import build_transforms
from ppocr.data.imaug.det_aug import Affine, EastRandomCropData, Fliplr, Flipud, IaaAugment, RandomCropImgMask, Resize
from ppocr.utils.errors import ConfigError, DataError

# pixel-aligned text boxes (x0, y0, x1, y1): ink covers columns x0..x1-1 and rows y0..y1-1
BOXES = [(10, 8, 50, 20), (70, 8, 140, 26), (20, 60, 90, 78), (110, 90, 150, 104)]


def _page(boxes=BOXES, h=120, w=160):
    img = np.full((h, w, 3), 255, np.uint8)
    polys = []
    for x0, y0, x1, y1 in boxes:
        img[y0:y1, x0:x1] = 0
        polys.append([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    polys = np.array(polys, np.float32).reshape(-1, 4, 2)
    return {"image": img, "polys": polys, "ignore_tags": np.zeros(len(polys), bool),
            "texts": [f"w{i}" for i in range(len(polys))]}


def _check_ink_follows(img, polys, margin=1.5):
    """Pixels well inside a polygon are ink; pixels well outside every polygon are paper."""
    h, w = img.shape[:2]
    grey = img.reshape(h, w, -1).mean(axis=2)
    yy, xx = np.mgrid[0:h, 0:w] + 0.5  # pixel centres, continuous coordinates
    inside = np.zeros((h, w), bool)
    near = np.zeros((h, w), bool)
    for p in polys:
        shape = Polygon(p)
        inner = shape.buffer(-margin)
        if not inner.is_empty:
            inside |= shapely.contains_xy(inner, xx, yy)
        near |= shapely.contains_xy(shape.buffer(margin), xx, yy)
    assert inside.any()
    assert (grey[inside] < 100).mean() > 0.99, "ink missing inside the moved polygons"
    # the black fill of rotations/padding (and pixels blended with it) is not paper
    canvas = cv2.erode((grey > 0).astype(np.uint8), np.ones((5, 5), np.uint8), borderType=cv2.BORDER_CONSTANT,
                       borderValue=0).astype(bool)
    outside = ~near & canvas
    assert (grey[outside] < 100).mean() < 0.01, "ink found outside the moved polygons"


def test_flips_are_exact():
    data = _page()
    img, polys = Fliplr(p=1.0)(data["image"], data["polys"])
    assert np.array_equal(img, data["image"][:, ::-1])
    # box columns 10..49 of 160 -> 110..149, i.e. x in [110, 150)
    assert polys[0, :, 0].min() == 110 and polys[0, :, 0].max() == 150
    assert np.array_equal(np.flatnonzero(img[14, :, 0] == 0)[-40:], np.arange(110, 150))
    img, polys = Flipud(p=1.0)(data["image"], data["polys"])
    assert polys[0, :, 1].min() == 120 - 20 and polys[0, :, 1].max() == 120 - 8
    _check_ink_follows(img, polys, margin=0.6)
    same_img, same_polys = Fliplr(p=0.0)(data["image"], data["polys"])
    assert same_img is data["image"] and same_polys is data["polys"]


@pytest.mark.parametrize("aug", [
    Fliplr(p=1.0), Flipud(p=1.0), Affine(rotate=[-25, 25]), Affine(scale=[0.7, 1.3], shear=[-10, 10]),
    Affine(translate_percent=[-0.1, 0.1], rotate=5), Resize(size=[0.5, 2.0])], ids=repr)
@pytest.mark.parametrize("seed", range(3))
def test_augmenters_move_polys_with_the_image(aug, seed):
    np.random.seed(seed)
    data = _page()
    img, polys = aug(data["image"], data["polys"])
    _check_ink_follows(img, polys)


@pytest.mark.parametrize("seed", range(4))
def test_iaa_augment_default_pipeline(seed):
    np.random.seed(seed)
    out = build_transforms([{"IaaAugment": None}], None, "T")(_page())
    assert out["polys"].shape == (4, 4, 2) and out["polys"].dtype == np.float32
    assert out["image"].dtype == np.uint8 and out["image"].shape[2] == 3
    _check_ink_follows(out["image"], out["polys"])


def test_iaa_augment_config_shape_and_errors():
    op = IaaAugment(augmenter_args=[{"type": "Fliplr", "args": {"p": 0.5}},
                                    {"type": "Affine", "args": {"rotate": [-10, 10]}},
                                    {"type": "Resize", "args": {"size": [0.5, 3]}}])
    assert repr(op) == ("IaaAugment(augmenters=[Fliplr(p=0.5), Affine(rotate=[-10, 10], scale=1, shear=0, "
                        "translate_percent=0, cval=0), Resize(size=[0.5, 3])])")
    assert repr(IaaAugment()) == repr(op)
    assert IaaAugment(augmenter_args=[])(_page())["image"].shape == (120, 160, 3)
    with pytest.raises(ValueError, match=r"unknown IaaAugment augmenter 'Fliplf'.*did you mean 'Fliplr'"):
        IaaAugment(augmenter_args=[{"type": "Fliplf"}])
    with pytest.raises(ValueError, match=r"Affine has no option 'rotation'.*'rotate'"):
        IaaAugment(augmenter_args=[{"type": "Affine", "args": {"rotation": 5}}])
    with pytest.raises(ValueError, match=r"augmenter_args\[0\] must be \{type: Name"):
        IaaAugment(augmenter_args=[{"name": "Fliplr"}])
    with pytest.raises(ValueError, match="absolute pixel sizes are not supported"):
        Resize(size=[320, 640])
    with pytest.raises(ValueError, match=r"Fliplr.p must lie in \[0, 1\]"):
        Fliplr(p=2)
    with pytest.raises(TypeError, match="Affine.rotate must be a number or a"):
        Affine(rotate="10")
    with pytest.raises(ConfigError, match=r"T\.0\.IaaAugment.*augmenter_args"):
        build_transforms([{"IaaAugment": {"augmenter_args": {"type": "Fliplr"}}}], None, "T")
    with pytest.raises(DataError, match="put DetLabelEncode before it"):
        IaaAugment()({"image": np.zeros((4, 4, 3), np.uint8)})


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("size", [[128, 128], [96, 64]])
def test_east_random_crop_keeps_text_whole(seed, size):
    np.random.seed(seed)
    data = _page()
    data["ignore_tags"][3] = True  # do-not-care regions may be cut
    op = EastRandomCropData(size=size, max_tries=50, min_crop_side_ratio=0.1)
    out = op(data)
    w, h = size
    assert out["image"].shape == (h, w, 3) and out["image"].dtype == np.uint8
    n = len(out["polys"])
    assert out["polys"].shape == (n, 4, 2) and len(out["texts"]) == n and out["ignore_tags"].shape == (n,)
    care = out["polys"][~out["ignore_tags"]]
    assert len(care) >= 1
    assert care[..., 0].min() >= -1e-3 and care[..., 0].max() <= w + 1e-3
    assert care[..., 1].min() >= -1e-3 and care[..., 1].max() <= h + 1e-3
    _check_ink_follows(out["image"], care, margin=1.5)
    # each kept care box keeps its aspect ratio (the crop is scaled by one factor)
    for p, t in zip(out["polys"], out["texts"]):
        x0, y0, x1, y1 = BOXES[int(t[1:])]
        if t != "w3":
            ratio = np.ptp(p[:, 0]) / np.ptp(p[:, 1])
            assert ratio == pytest.approx((x1 - x0) / (y1 - y0), rel=0.05)


def test_east_random_crop_actually_crops_and_falls_back():
    sizes = set()
    for seed in range(10):
        np.random.seed(seed)
        sizes.add(len(EastRandomCropData(size=[128, 128])(_page())["polys"]))
    assert min(sizes) < 4, "never cropped"
    no_text = _page(boxes=[])
    out = EastRandomCropData(size=[80, 80])(no_text)
    assert out["polys"].shape == (0, 4, 2) and out["image"].shape == (80, 80, 3)
    assert out["image"][:60].min() == 255 and out["image"][60:].max() == 0  # whole page scaled by 0.5, padded
    stretched = EastRandomCropData(size=[80, 80], keep_ratio=False, max_tries=0)(_page())
    # the label's vertex order is kept: vertex i is scaled vertex i
    np.testing.assert_allclose(stretched["polys"][0], np.array(_page()["polys"][0]) * [0.5, 80 / 120], rtol=1e-6)
    grey = _page()
    grey["image"] = grey["image"][:, :, :1]
    assert EastRandomCropData(size=[64, 64])(grey)["image"].shape == (64, 64, 1)


def test_east_random_crop_arguments():
    assert repr(EastRandomCropData()) == ("EastRandomCropData(size=[640, 640], max_tries=50, keep_ratio=True, "
                                          "min_crop_side_ratio=0.1)")
    with pytest.raises(ValueError, match="size must be two positive integers"):
        EastRandomCropData(size=[640])
    with pytest.raises(ValueError, match="min_crop_side_ratio"):
        EastRandomCropData(min_crop_side_ratio=1.5)
    with pytest.raises(TypeError, match="keep_ratio"):
        EastRandomCropData(keep_ratio="yes")


def _maps(h=100, w=120):
    shrink = np.zeros((h, w), np.float32)
    shrink[70:80, 90:110] = 1
    img = np.arange(h * w * 3, dtype=np.int64).reshape(h, w, 3).astype(np.float32)
    return {"image": img, "shrink_map": shrink, "shrink_mask": np.ones((h, w), np.float32),
            "chw": img.transpose(2, 0, 1).copy(), "polys": np.array([[[90, 70], [110, 70], [110, 80], [90, 80]]],
                                                                    np.float32)}


@pytest.mark.parametrize("seed", range(8))
def test_random_crop_img_mask_overlaps_text_and_cuts_every_key_alike(seed):
    np.random.seed(seed)
    data = _maps()
    op = RandomCropImgMask(size=[40, 50], main_key="shrink_map",
                           crop_keys=["image", "shrink_map", "shrink_mask", "chw"], p=0.0)
    out = op(data)
    assert out["image"].shape == (40, 50, 3) and out["shrink_map"].shape == (40, 50) and out["chw"].shape == (3, 40, 50)
    assert out["shrink_map"].sum() > 0  # p=0: the window always overlaps the text
    np.testing.assert_array_equal(out["chw"], out["image"].transpose(2, 0, 1))
    # the origin shift read from the image equals the shift applied to polys
    first = int(out["image"][0, 0, 0])
    i, j = divmod(first // 3, 120)
    np.testing.assert_array_equal(out["polys"][0, 0], [90 - j, 70 - i])  # the label's own first vertex, shifted
    assert out["shrink_map"][70 - i, 90 - j] == 1


def test_random_crop_img_mask_pads_small_inputs_and_checks_keys():
    data = _maps(h=30, w=20)
    out = RandomCropImgMask(size=[40, 50], main_key="shrink_map", crop_keys=["image", "shrink_mask"])(data)
    assert out["image"].shape == (40, 50, 3)
    assert out["shrink_mask"][:30, :20].all() and not out["shrink_mask"][30:].any()
    assert out["shrink_map"].shape == (30, 20)  # not in crop_keys
    with pytest.raises(DataError, match="key 'threshold_map' is not in the sample"):
        RandomCropImgMask(size=[8, 8], main_key="shrink_map", crop_keys=["threshold_map"])(_maps())
    with pytest.raises(TypeError, match="crop_keys"):
        RandomCropImgMask(size=[8, 8], main_key="shrink_map", crop_keys="image")
    with pytest.raises(ValueError, match="p must lie in"):
        RandomCropImgMask(size=[8, 8], main_key="shrink_map", crop_keys=["image"], p=1.5)
    assert "RandomCropImgMask(size=[8, 8], main_key='shrink_map'" in repr(
        RandomCropImgMask(size=[8, 8], main_key="shrink_map", crop_keys=["image"]))
