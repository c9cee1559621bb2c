"""DB training maps: hand-checked values on a rectangle, and the vectorised border map against a per-pixel reference."""
import math

import numpy as np
import pytest
from shapely.geometry import Polygon

from ppocr.data.imaug import build_transforms
from ppocr.data.imaug import det_functional as DF
from ppocr.data.imaug.det_maps import MakeBorderMap, MakeShrinkMap
from ppocr.utils.errors import ConfigError, DataError

# 40 x 20 rectangle: A = 800, L = 120, D = A (1 - 0.4^2) / L = 5.6
RECT = [[10, 10], [50, 10], [50, 30], [10, 30]]
D = 5.6


def _sample(polys, ignore=None, h=64, w=64):
    polys = np.array(polys, np.float32) if len(polys) else np.zeros((0, 4, 2), np.float32)
    ignore = np.zeros(len(polys), bool) if ignore is None else np.array(ignore, bool)
    return {"image": np.zeros((h, w, 3), np.uint8), "polys": polys, "ignore_tags": ignore}


def _expected_threshold(d):
    return 0.3 + 0.4 * (1 - min(d / D, 1.0))


@pytest.mark.parametrize("xy,dist", [((30, 10), 0.0), ((50, 20), 0.0), ((30, 20), 10.0), ((30, 13), 3.0),
                                     ((30, 7), 3.0), ((5, 10), 5.0), ((7, 7), math.sqrt(18)), ((55, 35), math.sqrt(50)),
                                     ((60, 60), 99.0)])
def test_border_map_values_on_a_rectangle(xy, dist):
    out = MakeBorderMap()(_sample([RECT]))
    x, y = xy
    assert out["threshold_map"].dtype == np.float32 and out["threshold_map"].shape == (64, 64)
    assert out["threshold_map"][y, x] == pytest.approx(_expected_threshold(dist), abs=1e-6)


def test_border_mask_is_the_grown_polygon():
    mask = MakeBorderMap()(_sample([RECT]))["threshold_mask"]
    assert mask.dtype == np.float32 and set(np.unique(mask)) == {0.0, 1.0}
    # grown by D = 5.6 with round corners: x in [4.4, 55.6], y in [4.4, 35.6] (edge pixels rounded)
    assert mask[20, 5:56].all() and mask[5:36, 30].all() and mask[20, 30] == 1
    assert not mask[20, :4].any() and not mask[20, 57:].any() and not mask[:4, 30].any() and not mask[37:, 30].any()
    assert mask[7, 7] == 1 and mask[5, 5] == 0  # corner (10, 10) is 4.2 resp. 7.1 away
    assert MakeBorderMap()(_sample([RECT], ignore=[True]))["threshold_mask"].sum() == 0


def test_shrink_map_on_a_rectangle():
    out = MakeShrinkMap()(_sample([RECT]))
    gt, mask = out["shrink_map"], out["shrink_mask"]
    assert gt.dtype == np.float32 and mask.dtype == np.float32
    # shrunk by 5.6 on every side: x in [15.6, 44.4], y in [15.6, 24.4] -> pixels 16..44 x 16..24
    ys, xs = np.nonzero(gt)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (16, 44, 16, 24)
    assert gt.sum() == 29 * 9 and mask.min() == 1.0


@pytest.mark.parametrize("case,poly,pixel", [
    ("ignored", RECT, (20, 12)),
    ("thin", [[10, 10], [50, 10], [50, 16], [10, 16]], (20, 12)),    # 6 px < min_text_size 8
    ("tiny", [[10, 10], [10.5, 10], [10.5, 11], [10, 11]], (10, 10)),  # area under one pixel
])
def test_shrink_map_masks_out_unusable_text(case, poly, pixel):
    other = [[10, 40], [40, 40], [40, 60], [10, 60]]
    out = MakeShrinkMap()(_sample([poly, other], ignore=[case == "ignored", False]))
    x, y = pixel
    assert out["shrink_mask"][y, x] == 0
    assert out["shrink_map"][:38].sum() == 0 and out["shrink_map"][38:].sum() > 0
    assert out["shrink_mask"][38:].min() == 1


def test_maps_without_text_and_with_polys_off_the_image():
    out = MakeShrinkMap()(MakeBorderMap()(_sample([])))
    assert np.all(out["threshold_map"] == np.float32(0.3)) and out["threshold_mask"].sum() == 0
    assert out["shrink_map"].sum() == 0 and out["shrink_mask"].min() == 1
    out = MakeShrinkMap()(MakeBorderMap()(_sample([[[-20, -10], [30, -10], [30, 20], [-20, 20]]])))
    assert 0.3 <= out["threshold_map"].min() and out["threshold_map"].max() <= 0.7 + 1e-6
    assert out["shrink_map"][:10, :20].sum() > 0  # clipped to the image, then shrunk


def _reference_border(polys, ignore, h, w, ratio=0.4, tmin=0.3, tmax=0.7):
    """Per-pixel loops over the same windows, written from the definition."""
    canvas = np.zeros((h, w), np.float64)
    mask = np.zeros((h, w), np.float32)
    for poly, skip in zip(polys, ignore):
        if skip:
            continue
        shape = Polygon(poly)
        dist = shape.area * (1 - ratio ** 2) / shape.length
        grown = DF.offset_polygon(poly, dist)
        DF.fill_polys(mask, grown, 1.0)
        pts = np.concatenate(grown)
        x_lo, x_hi = max(0, math.floor(pts[:, 0].min())), min(w - 1, math.ceil(pts[:, 0].max()))
        y_lo, y_hi = max(0, math.floor(pts[:, 1].min())), min(h - 1, math.ceil(pts[:, 1].max()))
        n = len(poly)
        for y in range(y_lo, y_hi + 1):
            for x in range(x_lo, x_hi + 1):
                best = math.inf
                for k in range(n):
                    (ax, ay), (bx, by) = poly[k], poly[(k + 1) % n]
                    dx, dy = bx - ax, by - ay
                    den = dx * dx + dy * dy
                    t = 0.0 if den == 0 else min(1.0, max(0.0, ((x - ax) * dx + (y - ay) * dy) / den))
                    best = min(best, math.hypot(x - ax - t * dx, y - ay - t * dy))
                canvas[y, x] = max(canvas[y, x], 1 - min(best / dist, 1.0))
    return canvas * (tmax - tmin) + tmin, mask


def _star_polygon(rng, n, h, w):
    """A random simple (star-shaped) polygon partly inside an h x w image."""
    cx, cy = rng.uniform(-5, w + 5), rng.uniform(-5, h + 5)
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = rng.uniform(4, 18, n)
    return np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], 1).astype(np.float32)


@pytest.mark.parametrize("seed", range(6))
def test_vectorised_border_map_equals_per_pixel_reference(seed):
    rng = np.random.default_rng(seed)
    h, w = 40, 56
    k = int(rng.integers(3, 9))
    polys = DF.pad_polygons([_star_polygon(rng, int(rng.integers(3, k + 1)), h, w) for _ in range(4)])
    polys = polys[[DF.polygon_problem(p) is None for p in polys]]
    ignore = np.zeros(len(polys), bool)
    if len(polys) > 2:
        ignore[1] = True
    out = MakeBorderMap()(_sample(polys, ignore, h, w))
    ref_map, ref_mask = _reference_border(polys, ignore, h, w)
    np.testing.assert_allclose(out["threshold_map"], ref_map, atol=2e-5)
    np.testing.assert_array_equal(out["threshold_mask"], ref_mask)


def test_edge_distance_blocks_agree():
    rng = np.random.default_rng(3)
    poly = _star_polygon(rng, 12, 50, 50)
    whole = DF.edge_distance_map(poly, -3, 2, 37, 29)
    blocked = DF.edge_distance_map(poly, -3, 2, 37, 29, max_block=1)  # one edge per block
    np.testing.assert_array_equal(whole, blocked)
    assert whole.shape == (29, 37) and whole.dtype == np.float32


def test_arguments_are_checked():
    with pytest.raises(ValueError, match=r"shrink_ratio must be in \(0, 1\)"):
        MakeBorderMap(shrink_ratio=1.0)
    with pytest.raises(ValueError, match="thresh_min .* must not exceed thresh_max"):
        MakeBorderMap(thresh_min=0.8, thresh_max=0.7)
    with pytest.raises(ValueError, match="min_text_size"):
        MakeShrinkMap(min_text_size=-1)
    with pytest.raises(ConfigError, match="did you mean 'min_text_size'"):
        build_transforms([{"MakeShrinkMap": {"min_text_siz": 8}}], None, "T")
    with pytest.raises(DataError, match="needs 'polys'.*DetLabelEncode"):
        MakeShrinkMap()({"image": np.zeros((4, 4, 3), np.uint8)})
    assert repr(MakeBorderMap()) == "MakeBorderMap(shrink_ratio=0.4, thresh_min=0.3, thresh_max=0.7)"
    assert repr(MakeShrinkMap()) == "MakeShrinkMap(min_text_size=8, shrink_ratio=0.4)"


def test_shrink_schedule_of_the_pp_ocrv4_configs():
    from ppocr.data.imaug.det_maps import MakeBorderMap, MakeShrinkMap

    for cls in (MakeBorderMap, MakeShrinkMap):
        assert cls(shrink_ratio=0.4, total_epoch=500).shrink_ratio == pytest.approx(0.4)  # epoch 0, as PaddleOCR
        assert cls(shrink_ratio=0.4, total_epoch=500, epoch=250).shrink_ratio == pytest.approx(0.5)
        with pytest.raises(ValueError, match="total_epoch"):
            cls(total_epoch=0)
        with pytest.raises(ValueError, match="epoch"):
            cls(total_epoch=10, epoch=11)
