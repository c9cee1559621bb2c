"""Per-sample CPU cost of the DB detection transforms on the demo pages, and the vectorised border map's speed-up.

    python3 benchmarks/det_transforms.py [--images 40] [--ref-images 3] [--size 640]

Runs the training chain of ``configs/det/det_mv3_db.yml`` (DecodeImage ... KeepKeys) on demo
pages, one sample at a time in one thread (as one loader worker does), and prints the mean
milliseconds each transform takes per sample, its share, and the whole chain timed end to end;
also the evaluation chain. Then it times ``MakeBorderMap`` against a per-pixel Python reference
of the same definition on the inputs it sees in training and reports the ratio and the largest
difference.
"""
import argparse
import math
import os
import statistics
import time

import cv2
import numpy as np

import ppocr  # noqa: F401  (registers the transforms)
from ppocr.data.imaug import build_transforms
from ppocr.data.imaug import det_functional as DF
from ppocr.data.imaug.det_maps import MakeBorderMap

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(REPO, "train_data", "demo", "det")
NORMALIZE = {"scale": "1./255.", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "order": "hwc"}


def train_chain(size: int) -> list:
    return [{"DecodeImage": {"img_mode": "BGR", "channel_first": False}}, {"DetLabelEncode": None},
            {"IaaAugment": {"augmenter_args": [{"type": "Fliplr", "args": {"p": 0.5}},
                                               {"type": "Affine", "args": {"rotate": [-10, 10]}},
                                               {"type": "Resize", "args": {"size": [0.5, 3]}}]}},
            {"EastRandomCropData": {"size": [size, size], "max_tries": 50, "keep_ratio": True}},
            {"MakeBorderMap": {"shrink_ratio": 0.4, "thresh_min": 0.3, "thresh_max": 0.7}},
            {"MakeShrinkMap": {"shrink_ratio": 0.4, "min_text_size": 8}},
            {"NormalizeImage": NORMALIZE}, {"ToCHWImage": None},
            {"KeepKeys": {"keep_keys": ["image", "threshold_map", "threshold_mask", "shrink_map", "shrink_mask"]}}]


def eval_chain() -> list:
    return [{"DecodeImage": {"img_mode": "BGR", "channel_first": False}}, {"DetLabelEncode": None},
            {"DetResizeForTest": {"limit_side_len": 736, "limit_type": "min"}},
            {"NormalizeImage": NORMALIZE}, {"ToCHWImage": None},
            {"KeepKeys": {"keep_keys": ["image", "shape_list", "polys", "ignore_tags"]}}]


def load_samples(n: int) -> list[dict]:
    path = os.path.join(DEMO, "det_gt_train.txt")
    if not os.path.isfile(path):
        raise SystemExit(f"{path} is missing; run: python3 tools/make_demo_data.py --task det")
    samples = []
    for line in open(path, encoding="utf-8").read().splitlines()[:n]:
        rel, label = line.split("\t", 1)
        with open(os.path.join(DEMO, rel), "rb") as f:
            samples.append({"img_path": rel, "label": label, "image": f.read()})
    return samples


def time_steps(ops, samples: list[dict], repeats: int) -> tuple[list[float], float, list[dict]]:
    """Mean ms per sample of each op, of the whole chain, and the inputs MakeBorderMap saw."""
    per_op = [[] for _ in ops.ops]
    whole = []
    border_inputs = []
    for r in range(repeats):
        for i, s in enumerate(samples):
            np.random.seed(1000 * r + i)
            data = dict(s)
            for k, op in enumerate(ops.ops):
                if type(op).__name__ == "MakeBorderMap" and r == 0:
                    border_inputs.append({"image": data["image"], "polys": data["polys"].copy(),
                                          "ignore_tags": data["ignore_tags"].copy()})
                t = time.perf_counter()
                data = op(data)
                per_op[k].append(time.perf_counter() - t)
            np.random.seed(1000 * r + i)
            t = time.perf_counter()
            ops(dict(s))
            whole.append(time.perf_counter() - t)
    return [1e3 * statistics.fmean(v) for v in per_op], 1e3 * statistics.fmean(whole), border_inputs


def border_map_reference(data: dict, shrink_ratio=0.4, thresh_min=0.3, thresh_max=0.7) -> np.ndarray:
    """DB's threshold map with one Python loop iteration per pixel and edge (the simple way)."""
    h, w = data["image"].shape[:2]
    canvas = np.zeros((h, w), np.float64)
    for poly, skip in zip(data["polys"], data["ignore_tags"]):
        if skip:
            continue
        dist = DF.shrink_distance(poly, shrink_ratio)
        grown = DF.offset_polygon(poly, dist) if dist > 0 else []
        if not grown:
            continue
        pts = np.concatenate(grown)
        x_lo, x_hi = max(0, math.floor(pts[:, 0].min())), min(w - 1, math.ceil(pts[:, 0].max()))
        y_lo, y_hi = max(0, math.floor(pts[:, 1].min())), min(h - 1, math.ceil(pts[:, 1].max()))
        p = poly.tolist()
        n = len(p)
        for y in range(y_lo, y_hi + 1):
            for x in range(x_lo, x_hi + 1):
                best = math.inf
                for k in range(n):
                    (ax, ay), (bx, by) = p[k], p[(k + 1) % n]
                    dx, dy = bx - ax, by - ay
                    den = dx * dx + dy * dy
                    t = 0.0 if den == 0 else min(1.0, max(0.0, ((x - ax) * dx + (y - ay) * dy) / den))
                    best = min(best, math.hypot(x - ax - t * dx, y - ay - t * dy))
                canvas[y, x] = max(canvas[y, x], 1.0 - min(best / dist, 1.0))
    return canvas * (thresh_max - thresh_min) + thresh_min


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=40, help="demo pages timed")
    parser.add_argument("--repeats", type=int, default=2, help="passes over the pages (different augmentation)")
    parser.add_argument("--ref-images", type=int, default=3, help="pages timed with the per-pixel reference")
    parser.add_argument("--size", type=int, default=640, help="EastRandomCropData size")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    samples = load_samples(args.images)

    ops = build_transforms(train_chain(args.size), None, "Train.dataset.transforms")
    step_ms, whole_ms, border_inputs = time_steps(ops, samples, args.repeats)
    eval_ops = build_transforms(eval_chain(), None, "Eval.dataset.transforms")
    eval_steps, eval_ms, _ = time_steps(eval_ops, samples, 1)
    print(f"Per-sample cost on {len(samples)} demo pages x {args.repeats} passes, crop {args.size}, 1 thread\n")
    print("| transform | ms / sample | share |")
    print("| --- | ---: | ---: |")
    for op, ms in zip(ops.ops, step_ms):
        print(f"| {type(op).__name__} | {ms:.2f} | {100 * ms / sum(step_ms):.0f}% |")
    print(f"| **train pipeline (end to end)** | **{whole_ms:.2f}** | |")
    print(f"| eval pipeline (DetResizeForTest min 736) | {eval_ms:.2f} | |")
    print(f"\nsamples/s per loader worker: train {1e3 / whole_ms:.0f}, eval {1e3 / eval_ms:.0f}")

    op = MakeBorderMap()
    ref_inputs = border_inputs[:args.ref_images]
    vec_t, ref_t, diff, words = 0.0, 0.0, 0.0, 0
    for data in ref_inputs:
        t = time.perf_counter()
        fast = op(dict(data))["threshold_map"]
        vec_t += time.perf_counter() - t
        t = time.perf_counter()
        slow = border_map_reference(data)
        ref_t += time.perf_counter() - t
        diff = max(diff, float(np.abs(fast - slow).max()))
        words += int((~data["ignore_tags"]).sum())
    n = max(1, len(ref_inputs))
    print(f"\nMakeBorderMap on {len(ref_inputs)} training crops ({words / n:.0f} care words each):\n")
    print("| implementation | ms / sample | ratio |")
    print("| --- | ---: | ---: |")
    print(f"| per-pixel Python reference | {1e3 * ref_t / n:.1f} | 1.0 |")
    print(f"| vectorised (numpy, all edges at once) | {1e3 * vec_t / n:.2f} | {ref_t / max(vec_t, 1e-9):.0f}x faster |")
    print(f"\nlargest difference between the two maps: {diff:.2e}")


if __name__ == "__main__":
    main()
