"""What the pre-flight data check costs per 10,000 samples, against building the dataset without it.

    python3 benchmarks/preflight_cost.py [--samples 10000] [--repeats 3]

Writes ``--samples`` small PNG word crops and a PaddleOCR label file into a temporary folder (cold files on
the first repeat, in the page cache afterwards), then builds the recognition dataset of
``configs/rec/rec_mv3_none_bilstm_ctc.yml`` with ``Global.preflight`` true and false and prints the seconds
each build took, samples/s, and the check's cost per 10k samples. Also an LMDB environment of the same
samples (the check reads every record).
"""
import argparse
import os
import statistics
import tempfile
import time

import cv2
import lmdb
import numpy as np

import ppocr  # noqa: F401  (registers the datasets and transforms)
from ppocr.data.lmdb_dataset import LMDBDataSet
from ppocr.data.simple_dataset import SimpleDataSet

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DICT = os.path.join(REPO, "ppocr", "utils", "dict", "en_dict.txt")
TRANSFORMS = [{"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
              {"CTCLabelEncode": None}, {"RecResizeImg": {"image_shape": [3, 32, 100]}},
              {"KeepKeys": {"keep_keys": ["image", "label", "length"]}}]


def make_data(root: str, n: int) -> tuple[str, str]:
    os.makedirs(os.path.join(root, "img"))
    rng = np.random.RandomState(0)
    words = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "Paddle", "OCR"]
    env = lmdb.open(os.path.join(root, "lmdb"), map_size=1 << 31)
    lines = []
    with env.begin(write=True) as txn:
        for i in range(n):
            img = np.full((32, 100, 3), 255, np.uint8)
            word = words[i % len(words)] + str(i % 97)
            cv2.putText(img, word, (2, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1)
            img = (img.astype(np.int16) + rng.randint(-8, 8, img.shape)).clip(0, 255).astype(np.uint8)
            ok, buf = cv2.imencode(".png", img)
            rel = f"img/{i:06d}.png"
            with open(os.path.join(root, rel), "wb") as f:
                f.write(buf.tobytes())
            lines.append(f"{rel}\t{word}")
            txn.put(b"image-%09d" % (i + 1), buf.tobytes())
            txn.put(b"label-%09d" % (i + 1), word.encode())
        txn.put(b"num-samples", str(n).encode())
    env.close()
    label = os.path.join(root, "train.txt")
    with open(label, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return label, os.path.join(root, "lmdb")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=10000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as root:
        label, lmdb_dir = make_data(root, args.samples)
        builders = {
            "SimpleDataSet": lambda g: SimpleDataSet(root, [label], TRANSFORMS, global_cfg=g),
            "LMDBDataSet": lambda g: LMDBDataSet(os.path.dirname(lmdb_dir), TRANSFORMS, global_cfg=g),
        }
        rows = []
        for name, build in builders.items():
            times = {}
            for preflight in (False, True):
                g = {"character_dict_path": DICT, "max_text_length": 25, "preflight": preflight}
                runs = []
                for _ in range(args.repeats):
                    t = time.perf_counter()
                    ds = build(g)
                    runs.append(time.perf_counter() - t)
                    assert len(ds) == args.samples
                times[preflight] = (runs[0], statistics.median(runs[1:] or runs))
            for preflight in (False, True):
                cold, warm = times[preflight]
                rows.append((name, "on" if preflight else "off", cold, warm, args.samples / warm))
            cost = (times[True][1] - times[False][1]) * 10000 / args.samples
            rows.append((name, "cost of the check", None, None, cost))
    print(f"{args.samples} samples, {os.cpu_count()} CPUs\n")
    print("| dataset | preflight | first build s | warm build s (median) | samples/s (warm) |")
    print("|---|---|---|---|---|")
    for name, mode, cold, warm, rate in rows:
        if cold is None:
            print(f"| {name} | **{mode}** | | | **{rate:.2f} s per 10k samples** |")
        else:
            print(f"| {name} | {mode} | {cold:.2f} | {warm:.2f} | {rate:,.0f} |")


if __name__ == "__main__":
    main()
