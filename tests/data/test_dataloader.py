import cv2
import numpy as np
import pytest

from ppocr.data import SeededBatchSampler, build_dataloader, collate_skip_none, set_epoch
from ppocr.utils.errors import ConfigError

TRANSFORMS = [
    {"DecodeImage": {"img_mode": "BGR"}},
    {"RecAug": None},
    {"CTCLabelEncode": None},
    {"RecResizeImg": {"image_shape": [3, 16, 32]}},
    {"KeepKeys": {"keep_keys": ["image", "label", "length"]}},
]


def _config(tmp_path, lines, skip=False, num_workers=0, shuffle=True, batch_size=3):
    (tmp_path / "img").mkdir(exist_ok=True)
    rng = np.random.RandomState(0)
    for i in range(4):
        cv2.imwrite(str(tmp_path / "img" / f"{i}.png"), rng.randint(0, 256, (16, 30, 3), dtype=np.uint8))
    label = tmp_path / "train.txt"
    label.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dataset = {"name": "SimpleDataSet", "data_dir": str(tmp_path), "label_file_list": [str(label)],
               "transforms": TRANSFORMS, "skip_bad_samples": skip}
    loader = {"batch_size_per_card": batch_size, "shuffle": shuffle, "drop_last": False,
              "num_workers": num_workers, "use_shared_memory": False}
    return {"Global": {"max_text_length": 4}, "Train": {"dataset": dataset, "loader": loader}}


def _batches(loader):
    return [{k: np.asarray(v) for k, v in batch.items()} for batch in loader]


def test_skipped_samples_are_counted_through_the_loader(tmp_path):
    """What the pre-flight check finds is left out before training (counted on the dataset); what only decoding
    finds (a plausible header over garbage) is skipped when read and counted in the batches."""
    lines = ([f"img/{i % 4}.png\tab{i % 10}" for i in range(7)] + ["img/gone.png\tab", "img/0.png\ttoolong"]
             + ["img/garbage.png\tab", "img/garbage.png\tcd"])
    cfg = _config(tmp_path, lines, skip=True)
    (tmp_path / "img" / "garbage.png").write_bytes(b"\x89PNG\r\n\x1a\n not really IEND")
    loader = build_dataloader(cfg, "Train", cfg["Global"], seed=1)
    assert loader.dataset.excluded == 2
    batches = _batches(loader)
    assert sum(int(b["skipped"].sum()) for b in batches) == 2
    assert sum(len(b["image"]) for b in batches if "image" in b) == 7
    assert all(b["image"].shape[1:] == (3, 16, 32) for b in batches if "image" in b)
    assert all(b["label"].shape[1] == 4 for b in batches if "label" in b)  # Global.max_text_length arrived


def test_all_dropped_batch_has_only_skipped():
    out = collate_skip_none([None, None])
    assert list(out) == ["skipped"] and out["skipped"].tolist() == [2]
    out = collate_skip_none([{"x": np.zeros(2)}, None])
    assert out["x"].shape == (1, 2) and out["skipped"].tolist() == [1]


def test_workers_give_the_same_batches_as_main_process(tmp_path):
    lines = [f"img/{i % 4}.png\tab{i}" for i in range(8)]
    results = []
    for workers in (0, 2):
        cfg = _config(tmp_path, lines, num_workers=workers)
        loader = build_dataloader(cfg, "Train", cfg["Global"], seed=5)
        set_epoch(loader, 1)
        results.append(_batches(loader))
    assert len(results[0]) == len(results[1]) == 3
    for a, b in zip(*results):
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])


def test_set_epoch_changes_order_reproducibly(tmp_path):
    lines = [f"img/{i % 4}.png\t{i}" for i in range(10)]
    cfg = _config(tmp_path, lines, batch_size=10)
    loader = build_dataloader(cfg, "Train", cfg["Global"], seed=0)
    orders = {}
    for epoch in (0, 1, 0):
        set_epoch(loader, epoch)
        labels = _batches(loader)[0]["label"][:, 0].tolist()
        orders.setdefault(epoch, labels)
        assert orders[epoch] == labels
    assert orders[0] != orders[1]


@pytest.mark.parametrize("n", [10, 11])
def test_sampler_shards_are_disjoint(n):
    data = list(range(n))
    shards = [[i for batch in SeededBatchSampler(data, 2, num_replicas=2, rank=r, shuffle=True, seed=3) for i in batch]
              for r in (0, 1)]
    assert len(shards[0]) == len(shards[1]) == (n + 1) // 2
    assert sorted(set(shards[0]) | set(shards[1])) == data
    if n % 2 == 0:
        assert not set(shards[0]) & set(shards[1])
    sampler = SeededBatchSampler(data, 4, num_replicas=2, rank=1, drop_last=True)
    assert len(sampler) == len(list(sampler)) == (n + 1) // 2 // 4
    with pytest.raises(ValueError, match="rank"):
        SeededBatchSampler(data, 2, num_replicas=2, rank=2)


def test_config_errors(tmp_path):
    cfg = _config(tmp_path, ["img/0.png\tab"])
    with pytest.raises(ConfigError, match="no Eval section, which is needed for evaluation"):
        build_dataloader(cfg, "Eval", cfg["Global"])
    cfg["Train"]["loader"]["batch_size"] = 2
    with pytest.raises(ConfigError, match=r"Train\.loader: unknown key 'batch_size'; did you mean 'batch_size_per_card'"):
        build_dataloader(cfg, "Train", cfg["Global"])
    del cfg["Train"]["loader"]["batch_size"]
    cfg["Train"]["dataset"]["delimeter"] = " "
    with pytest.raises(ConfigError, match="did you mean 'delimiter'"):
        build_dataloader(cfg, "Train", cfg["Global"])


def test_sampler_start_batch_skips_consumed_batches():
    from ppocr.data.loader import SeededBatchSampler

    s = SeededBatchSampler(list(range(10)), 2, num_replicas=1, rank=0, shuffle=True, seed=3)
    s.set_epoch(4)
    full = list(s)
    s.set_epoch(4, start_batch=2)
    assert list(s) == full[2:]
    s.set_epoch(4)
    assert list(s) == full


def test_eval_loader_is_not_sharded_in_multi_process_training(tmp_path, monkeypatch):
    """Rank 0 evaluates alone, so its Eval loader must cover the whole eval set; Train is sharded."""
    import paddle.distributed as dist

    from ppocr.testing import make_rec_data, rec_config

    data = make_rec_data(str(tmp_path), num_train=8, num_eval=6)
    cfg = rec_config(data, str(tmp_path / "out"), ["Eval.loader.batch_size_per_card=2"])
    monkeypatch.setattr(dist, "get_world_size", lambda *a, **k: 2)
    monkeypatch.setattr(dist, "get_rank", lambda *a, **k: 0)
    train = build_dataloader(cfg, "Train", cfg["Global"], 0)
    ev = build_dataloader(cfg, "Eval", cfg["Global"], 0)
    assert train.batch_sampler.nranks == 2 and len(train) == 2      # 8 samples / 2 ranks / batch 2
    assert ev.batch_sampler.nranks == 1 and sum(len(b) for b in ev.batch_sampler) == 6


def test_the_loader_names_the_files_of_a_batch(tmp_path):
    """What the NaN guard logs: batch i of the current epoch, as file:line of the label file."""
    from ppocr.engine.contracts import batch_locations

    lines = [f"img/{i % 4}.png\tab{i}" for i in range(7)]
    cfg = _config(tmp_path, lines, shuffle=False)
    loader = build_dataloader(cfg, "Train", cfg["Global"], seed=1)
    where = batch_locations(loader)
    label = str(tmp_path / "train.txt")
    assert where(0) == [f"{label}:1", f"{label}:2", f"{label}:3"] and where(2) == [f"{label}:7"]
    cfg = _config(tmp_path, lines, shuffle=True)
    shuffled = build_dataloader(cfg, "Train", cfg["Global"], seed=1)
    set_epoch(shuffled, 2)
    yielded = list(shuffled.batch_sampler)
    assert [batch_locations(shuffled)(i) for i in range(len(yielded))] == [
        [shuffled.dataset.location(j) for j in batch] for batch in yielded]
