import cv2
import lmdb
import numpy as np
import pytest

from ppocr.data.lmdb_dataset import LMDBDataSet
from ppocr.utils.errors import DataError

TRANSFORMS = [
    {"DecodeImage": {"img_mode": "BGR"}},
    {"CTCLabelEncode": {"unknown_chars": "error"}},
    {"RecResizeImg": {"image_shape": [3, 16, 48]}},
    {"KeepKeys": {"keep_keys": ["image", "label", "length"]}},
]


def _write_lmdb(path, labels, drop_image=None, num_samples=None):
    path.mkdir(parents=True)
    env = lmdb.open(str(path), map_size=1 << 22)
    rng = np.random.RandomState(0)
    with env.begin(write=True) as txn:
        for i, label in enumerate(labels, 1):
            if i != drop_image:
                ok, buf = cv2.imencode(".png", rng.randint(0, 256, (12, 30, 3), dtype=np.uint8))
                txn.put(b"image-%09d" % i, buf.tobytes())
            txn.put(b"label-%09d" % i, label.encode("utf-8"))
        if num_samples != "absent":
            txn.put(b"num-samples", str(len(labels) if num_samples is None else num_samples).encode())
    env.close()


def test_reads_nested_environments(tmp_path):
    _write_lmdb(tmp_path / "a" / "train1", ["ab", "c"])
    _write_lmdb(tmp_path / "b", ["xyz"])
    ds = LMDBDataSet(str(tmp_path), TRANSFORMS, global_cfg={"max_text_length": 4}, seed=0)
    assert len(ds) == 3 and len(ds.lmdb_dirs) == 2
    out = ds[2]
    assert out["image"].shape == (3, 16, 48)
    assert out["label"].tolist() == [34, 35, 36, 0] and int(out["length"]) == 3


def test_missing_key_names_location_and_fix(tmp_path):
    _write_lmdb(tmp_path / "env", ["ab", "cd"], drop_image=2)
    with pytest.raises(DataError, match=r"Train dataset: 1 bad sample\(s\) found before training: 1 missing key "
                                        r"\(.*env#2: image-000000002\)\. .*Train\.dataset\.skip_bad_samples: True"):
        LMDBDataSet(str(tmp_path), TRANSFORMS)
    skipping = LMDBDataSet(str(tmp_path), TRANSFORMS, skip_bad_samples=True)
    assert len(skipping) == 1 and skipping.excluded == 1 and skipping[0] is not None
    unchecked = LMDBDataSet(str(tmp_path), TRANSFORMS, global_cfg={"preflight": False})
    with pytest.raises(DataError, match=r"env#2: key image-000000002 is missing\. Fix or remove the sample, or set "
                                        r"Train\.dataset\.skip_bad_samples: True"):
        unchecked[1]


def test_bad_text_and_truncated_images_are_found_before_training(tmp_path):
    _write_lmdb(tmp_path / "env", ["ab", "a#", "cd"])
    env = lmdb.open(str(tmp_path / "env"), map_size=1 << 22)
    with env.begin(write=True) as txn:
        png = txn.get(b"image-000000003")
        txn.put(b"image-000000003", png[:len(png) // 2])
    env.close()
    with pytest.raises(DataError) as info:
        LMDBDataSet(str(tmp_path), TRANSFORMS, mode="Eval")
    msg = str(info.value)
    assert "Eval dataset: 2 bad sample(s)" in msg and "1 label rejected" in msg and "'#'" in msg
    assert "1 truncated image (" in msg and "env#3: PNG without its end marker" in msg


def test_bad_layouts(tmp_path):
    with pytest.raises(DataError, match="no LMDB environment"):
        LMDBDataSet(str(tmp_path), TRANSFORMS)
    _write_lmdb(tmp_path / "env", ["ab"], num_samples="absent")
    with pytest.raises(DataError, match="num-samples"):
        LMDBDataSet(str(tmp_path), TRANSFORMS)


def test_ratio_list_per_environment(tmp_path):
    _write_lmdb(tmp_path / "a", [f"{i}" for i in range(10)])
    _write_lmdb(tmp_path / "b", [f"{i}" for i in range(4)])
    ds = LMDBDataSet(str(tmp_path), TRANSFORMS, ratio_list=[0.5, 1.0])
    assert len(ds) == 9
    with pytest.raises(ValueError, match="ratio_list has 3 values but there are 2 LMDB folders"):
        LMDBDataSet(str(tmp_path), TRANSFORMS, ratio_list=[0.5, 1.0, 1.0])


def test_loader_with_forked_workers_after_parent_opened_env(tmp_path):
    from ppocr.data import build_dataloader

    _write_lmdb(tmp_path / "env", ["ab", "cd", "ef", "gh", "ij"])
    results = []
    for workers in (0, 2):
        cfg = {"Global": {}, "Eval": {
            "dataset": {"name": "LMDBDataSet", "data_dir": str(tmp_path), "transforms": TRANSFORMS},
            "loader": {"batch_size_per_card": 2, "shuffle": False, "num_workers": workers}}}
        loader = build_dataloader(cfg, "Eval", cfg["Global"])
        results.append([np.asarray(b["label"]) for b in loader])
    assert len(results[0]) == 3
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
    assert results[0][0][1, :2].tolist() == [13, 14]  # "cd"
