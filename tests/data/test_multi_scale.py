"""MultiScaleSampler + MultiScaleDataSet (PP-OCRv4/v5 Train.sampler), and RecConAug's extra samples."""
import cv2
import numpy as np
import pytest

from ppocr.data import build_dataloader, set_epoch
from ppocr.data.multi_scale_dataset import MultiScaleDataSet
from ppocr.data.multi_scale_sampler import MultiScaleSampler
from ppocr.data.simple_dataset import SimpleDataSet
from ppocr.utils.errors import ConfigError, DataError

V4_SCALES = [[320, 32], [320, 48], [320, 64]]


class _Fake:
    def __init__(self, n, ratios=None):
        self.n = n
        self.ds_width = ratios is not None
        self.wh_ratio = None if ratios is None else np.asarray(ratios, dtype=float)

    def __len__(self):
        return self.n


def test_batch_sizes_as_paddleocr():
    s = MultiScaleSampler(_Fake(1000), V4_SCALES, first_bs=192, fix_bs=False, divided_factor=[8, 16], seed=0,
                          num_replicas=1, rank=0)
    assert s.sizes == [(320, 32, 192), (320, 48, 128), (320, 64, 96)]
    # whole cycles of 192 + 128 + 96 = 416 samples until 1000 are covered: 3 cycles
    assert len(s) == 9 and sorted(len(b) for b in s.batches()) == [96] * 3 + [128] * 3 + [192] * 3
    fixed = MultiScaleSampler(_Fake(10), [[100, 30]], first_bs=4, fix_bs=True, seed=0, num_replicas=1, rank=0)
    assert fixed.sizes == [(96, 16, 4)]                    # rounded down to multiples of [8, 16]


def test_every_sample_each_epoch_reproducible_and_resumable():
    s = MultiScaleSampler(_Fake(20), [[64, 32], [64, 16]], first_bs=4, seed=5, num_replicas=1, rank=0)
    s.set_epoch(1)
    first = s.batches()
    assert {i for b in first for (_, _, i, _) in b} == set(range(20))
    assert all(len({(w, h) for (w, h, _, _) in b}) == 1 for b in first)   # one size per batch
    s.set_epoch(1, start_batch=2)
    assert list(s) == first[2:]
    s.set_epoch(2)
    assert s.batches() != first


def test_batch_indices_name_the_samples_of_each_batch():
    """What the NaN guard logs for a multi-scale batch: its sample indices, for the current epoch."""
    s = MultiScaleSampler(_Fake(20), [[64, 32], [64, 16]], first_bs=4, seed=5, num_replicas=1, rank=0)
    s.set_epoch(3)
    yielded = list(s)
    assert [s.batch_indices(i) for i in range(len(yielded))] == [[idx for _, _, idx, _ in b] for b in yielded]
    assert s.batch_indices(len(yielded)) == []
    with pytest.raises(ValueError, match="start_batch"):
        s.set_epoch(1, -1)


def test_shards_are_disjoint():
    parts = [MultiScaleSampler(_Fake(12), [[64, 32]], first_bs=3, seed=1, num_replicas=2, rank=r).batches()
             for r in range(2)]
    ids = [{i for b in p for (_, _, i, _) in b} for p in parts]
    assert not ids[0] & ids[1] and len(ids[0] | ids[1]) == 12


def test_ds_width_groups_ratios_and_caps_width():
    s = MultiScaleSampler(_Fake(4, [1.0, 8.0, 2.0, 30.0]), [[320, 32]], first_bs=2, seed=0, num_replicas=1,
                          rank=0, is_training=False, max_w=480)
    b1, b2 = s.batches()
    assert [i for (_, _, i, _) in b1] == [0, 2] and b1[0][3] == pytest.approx(1.5)
    assert b2[0][3] == pytest.approx(480 / 32)          # mean 19 * 32 >= 480: capped


def _images(root, n, texts="abcde"):
    (root / "img").mkdir(exist_ok=True)
    rng = np.random.RandomState(0)
    lines = []
    for i in range(n):
        cv2.imwrite(str(root / "img" / f"{i}.png"), rng.randint(0, 256, (16, 30 + 5 * i, 3), dtype=np.uint8))
        lines.append(f"img/{i}.png\t{texts[i % len(texts)] * 2}")
    (root / "train.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(root / "train.txt")


TRANSFORMS = [{"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
              {"RecConAug": {"prob": 1.0, "ext_data_num": 2, "image_shape": [32, 320, 3], "max_text_length": 8}},
              {"MultiLabelEncode": {"gtc_encode": "NRTRLabelEncode"}},
              {"KeepKeys": {"keep_keys": ["image", "label_ctc", "label_gtc", "length", "valid_ratio"]}}]


def test_loader_batches_at_the_sampler_sizes(tmp_path):
    label = _images(tmp_path, 8)
    cfg = {"Train": {"dataset": {"name": "MultiScaleDataSet", "ds_width": False, "data_dir": str(tmp_path),
                                 "ext_op_transform_idx": 1, "label_file_list": [label], "transforms": TRANSFORMS},
                     "sampler": {"name": "MultiScaleSampler", "scales": [[64, 32], [64, 16]], "first_bs": 2,
                                 "fix_bs": False, "divided_factor": [8, 16], "is_training": True},
                     "loader": {"shuffle": True, "batch_size_per_card": 2, "drop_last": True, "num_workers": 0}}}
    loader = build_dataloader(cfg, "Train", {"max_text_length": 8, "character_dict_path": None}, seed=3)
    set_epoch(loader, 0)
    shapes = set()
    for batch in loader:
        img = batch["image"]
        shapes.add((tuple(img.shape[1:]), img.shape[0]))
        assert set(batch) >= {"label_ctc", "label_gtc", "length", "valid_ratio"}
        assert float(batch["valid_ratio"].max()) <= 1.0
        assert int(batch["length"].max()) > 2          # every sample got extra lines (prob 1)
    assert shapes == {((3, 32, 64), 2), ((3, 16, 64), 4)}


def test_multi_scale_dataset_needs_the_sampler_and_sizes(tmp_path):
    label = _images(tmp_path, 2)
    ds = MultiScaleDataSet(str(tmp_path), [label], TRANSFORMS, global_cfg={"max_text_length": 8},
                           ext_op_transform_idx=1)
    with pytest.raises(DataError, match="MultiScaleSampler"):
        ds[0]
    assert ds[(48, 16, 1, None)]["image"].shape == (3, 16, 48)
    sized = tmp_path / "sized.txt"
    sized.write_text("img/0.png\taa\t30\t16\nimg/1.png\tbb\t35\t16\n", encoding="utf-8")
    wide = MultiScaleDataSet(str(tmp_path), [str(sized)], TRANSFORMS, global_cfg={"max_text_length": 8},
                             ext_op_transform_idx=1, ds_width=True)
    assert wide.wh_ratio.tolist() == pytest.approx([30 / 16, 35 / 16]) and wide.samples[0][3] == "aa"
    assert wide[(0, 16, 0, 2.2)]["image"].shape == (3, 16, 32)  # width = height * round(ratio)
    with pytest.raises(DataError, match="ds_width"):
        MultiScaleDataSet(str(tmp_path), [label], TRANSFORMS, ext_op_transform_idx=1, ds_width=True)


def test_ext_data_for_rec_con_aug_in_simple_dataset(tmp_path):
    label = _images(tmp_path, 4)
    tf = TRANSFORMS[:3] + [{"RecResizeImg": {"image_shape": [3, 32, 320]}}, TRANSFORMS[3]]
    ds = SimpleDataSet(str(tmp_path), [label], tf, global_cfg={"max_text_length": 8}, ext_op_transform_idx=1, seed=1)
    assert ds.ext_data_num == 2
    a, b = ds[0], ds[0]
    assert int(a["length"]) > 2 and (a["image"] == b["image"]).all()   # the extra samples are seeded too
    with pytest.raises(ValueError, match="ext_op_transform_idx"):
        SimpleDataSet(str(tmp_path), [label], tf, global_cfg={"max_text_length": 8}, ext_op_transform_idx=3)


def test_unknown_sampler_is_a_config_error(tmp_path):
    label = _images(tmp_path, 2)
    cfg = {"Train": {"dataset": {"name": "SimpleDataSet", "data_dir": str(tmp_path), "label_file_list": [label],
                                 "transforms": []},
                     "sampler": {"name": "MultiScaleSampeler", "scales": [[64, 32]]},
                     "loader": {"batch_size_per_card": 2}}}
    with pytest.raises(ConfigError, match="MultiScaleSampler"):
        build_dataloader(cfg, "Train", {}, seed=0)
