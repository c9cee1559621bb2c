"""TextRecognizer against a tiny exported CTC model built here (no ppocr.modeling dependency)."""
import math
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np
import paddle
import pytest
import yaml
from paddle import nn
from paddle.static import InputSpec

from ppocr.inference.predict_rec import TextRecognizer
from ppocr.inference.utility import parse_args
from ppocr.utils.errors import ConfigError

CHARS = list("0123456789abcdefghijklmnopqrstuvwxyz")


class TinyCTC(nn.Layer):
    """conv (stride 4 in width) -> mean over height -> linear -> softmax: [B, 3, 32, W] -> [B, W/4, 37]."""

    def __init__(self, num_classes: int = len(CHARS) + 1):
        super().__init__()
        self.conv = nn.Conv2D(3, 16, (3, 4), stride=(1, 4), padding=(1, 0))
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        f = nn.functional.relu(self.conv(x)).mean(axis=2).transpose([0, 2, 1])
        return nn.functional.softmax(self.fc(f) * 4.0, axis=-1)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    paddle.seed(0)
    layer = TinyCTC()
    layer.eval()
    out = tmp_path_factory.mktemp("rec_model")
    static = paddle.jit.to_static(layer, input_spec=[InputSpec([None, 3, 32, -1], "float32", "x")], full_graph=True)
    paddle.jit.save(static, str(out / "inference"))
    assert (out / "inference.json").is_file() and (out / "inference.pdiparams").is_file()
    yml = {"Global": {"model_type": "rec", "algorithm": "CRNN"},
           "PreProcess": {"transform_ops": [{"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
                                            {"RecResizeImg": {"image_shape": [3, 32, 100]}}]},
           "PostProcess": {"name": "CTCLabelDecode", "character_dict": CHARS, "use_space_char": False}}
    (out / "inference.yml").write_text(yaml.safe_dump(yml), encoding="utf-8")
    return layer, str(out)


def _images(n: int = 7, seed: int = 0):
    rng = np.random.default_rng(seed)
    widths = [40, 200, 96, 150, 64, 320, 120][:n]  # distinct ratios, deliberately unsorted
    return [rng.integers(0, 256, size=(32 if i % 2 else 24, w, 3), dtype=np.uint8) for i, w in enumerate(widths)]


def _reference(layer, imgs, batch_num, shape=(3, 32, 100)):
    """PaddleOCR's CRNN preprocessing written out independently, dygraph forward, greedy CTC."""
    c, h, w = shape
    ratios = [im.shape[1] / im.shape[0] for im in imgs]
    order = np.argsort(ratios)
    res = [None] * len(imgs)
    for b in range(0, len(imgs), batch_num):
        idx = order[b:b + batch_num]
        bw = int(h * max([w / h] + [ratios[i] for i in idx]))
        batch = np.zeros((len(idx), c, h, bw), np.float32)
        for k, i in enumerate(idx):
            rw = min(bw, math.ceil(h * ratios[i]))
            x = cv2.resize(imgs[i], (rw, h)).astype(np.float32).transpose(2, 0, 1) / 255.0
            batch[k, :, :, :rw] = (x - 0.5) / 0.5
        probs = layer(paddle.to_tensor(batch)).numpy()
        for k, i in enumerate(idx):
            best, conf = probs[k].argmax(1), probs[k].max(1)
            keep = best != 0
            keep[1:] &= best[1:] != best[:-1]
            text = "".join(CHARS[j - 1] for j in best[keep])
            res[i] = (text, float(conf[keep].mean()) if keep.any() else 0.0)  # PaddleOCR: empty text scores 0
    return res


def test_matches_dygraph_and_keeps_order(exported):
    layer, model_dir = exported
    imgs = _images()
    rec = TextRecognizer({"rec_model_dir": model_dir, "use_gpu": False, "rec_batch_num": 3, "cpu_threads": 1})
    assert rec.rec_image_shape == [3, 32, 100]  # from inference.yml, flag left at its default
    assert rec.character == CHARS  # from inference.yml (use_space_char false there)
    got, elapsed = rec(imgs)
    want = _reference(layer, imgs, 3)
    assert elapsed > 0 and len(got) == len(imgs)
    assert [t for t, _ in got] == [t for t, _ in want]
    assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-4)
    assert len({t for t, _ in got}) > 1  # the check above is not trivially all-empty
    perm = [3, 0, 6, 2, 5, 1, 4]
    got_perm, _ = rec([imgs[i] for i in perm])
    assert [t for t, _ in got_perm] == [got[i][0] for i in perm]


def test_namespace_args_and_explicit_shape(exported):
    layer, model_dir = exported
    args = parse_args(["--rec_model_dir", model_dir, "--use_gpu", "false", "--rec_image_shape", "3, 32, 64",
                       "--rec_batch_num", "2", "--cpu_threads", "1", "--enable_mkldnn", "false"])
    assert args.explicit_flags >= {"rec_model_dir", "rec_image_shape"} and "use_space_char" not in args.explicit_flags
    rec = TextRecognizer(args)
    assert rec.rec_image_shape == [3, 32, 64]
    imgs = _images(4, seed=1)
    got, _ = rec(imgs)
    want = _reference(layer, imgs, 2, shape=(3, 32, 64))
    assert [t for t, _ in got] == [t for t, _ in want]
    grey, _ = rec([cv2.cvtColor(imgs[0], cv2.COLOR_BGR2GRAY)])
    assert isinstance(grey[0][0], str)
    assert rec([])[0] == []


def test_dictionary_space_and_mismatch(exported, tmp_path):
    _, model_dir = exported
    # Without inference.yml: default 0-9a-z dictionary; the space that the default
    # --use_space_char true appends does not fit the 37-class model and is dropped.
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("inference.json", "inference.pdiparams"):
        shutil.copy(os.path.join(model_dir, name), bare / name)
    rec = TextRecognizer({"rec_model_dir": str(bare), "use_gpu": False})
    assert rec.rec_image_shape == [3, 48, 320] and rec.character[-1] == " "
    rec(_images(1))
    assert rec.character == CHARS
    # A dictionary that does not fit the model's 37 classes is a clear error.
    small = tmp_path / "dict.txt"
    small.write_text("a\nb\nc\n", encoding="utf-8")
    rec = TextRecognizer({"rec_model_dir": model_dir, "use_gpu": False, "rec_char_dict_path": str(small),
                          "use_space_char": False})
    with pytest.raises(ConfigError, match="37 classes"):
        rec(_images(1))


def test_errors(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(ConfigError, match="export_model.py") as e:
        TextRecognizer({"rec_model_dir": str(missing), "use_gpu": False})
    assert str(missing) in str(e.value)
    with pytest.raises(ConfigError, match="inference.pdiparams"):
        TextRecognizer({"rec_model_dir": str(tmp_path), "use_gpu": False})
    with pytest.raises(ValueError, match="rec_batch_num"):
        TextRecognizer({"rec_model_dir": str(tmp_path), "rec_batch_nun": 4})
    with pytest.raises(ConfigError, match="rec_algorithm"):
        TextRecognizer({"rec_model_dir": str(tmp_path), "rec_algorithm": "SRN"})
    with pytest.raises(SystemExit):
        parse_args(["--no_such_flag", "1"])


def test_cli(exported, tmp_path):
    _, model_dir = exported
    img_dir = tmp_path / "imgs"
    img_dir.mkdir()
    for i, im in enumerate(_images(2)):
        cv2.imwrite(str(img_dir / f"{i}.png"), im)
    (img_dir / "notes.txt").write_text("not an image")
    (img_dir / "broken.jpg").write_bytes(b"not a jpeg")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", ""), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, os.path.join(root, "tools", "infer", "predict_rec.py"),
                           "--rec_model_dir", model_dir, "--image_dir", str(img_dir), "--use_gpu", "false",
                           "--cpu_threads", "1"], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("Predicts of ") == 2 and "Total predict time for 2 images" in proc.stdout
    assert "notes.txt" in proc.stderr and "broken.jpg" in proc.stderr
