"""Export fuses re-parameterisable layers (PPLCNetV3's LearnableRepLayer) and keeps the model's numbers."""
import copy
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import paddle

import ppocr  # noqa: F401  (registers everything)
from ppocr.engine import contracts as C
from ppocr.engine.export import export, fuse_for_export
from ppocr.modeling import build_model
from ppocr.modeling.backbones.rec_lcnetv3 import LearnableRepLayer
from ppocr.postprocess import build_post_process

ARCH = {"model_type": "det", "algorithm": "DB", "Transform": None,
        "Backbone": {"name": "PPLCNetV3", "scale": 0.5, "det": True, "conv_kxk_num": 2},
        "Neck": {"name": "RSEFPN", "out_channels": 32, "shortcut": True},
        "Head": {"name": "DBHead", "k": 50}}
EVAL_TRANSFORMS = [{"DecodeImage": {"img_mode": "BGR", "channel_first": False}}, {"DetLabelEncode": None},
                   {"DetResizeForTest": {"image_shape": [64, 64]}},
                   {"NormalizeImage": {"scale": "1./255.", "mean": [0.485, 0.456, 0.406],
                                       "std": [0.229, 0.224, 0.225], "order": "hwc"}},
                   {"ToCHWImage": None}, {"KeepKeys": {"keep_keys": ["image", "shape_list", "polys", "ignore_tags"]}}]


def _trained_like(model):
    """BN statistics away from (0, 1), as after training, so fusing them in matters."""
    rng = np.random.default_rng(0)
    for name, t in model.state_dict().items():
        if name.endswith("_variance"):
            t.set_value(rng.uniform(0.8, 1.25, t.shape).astype("float32"))
        elif name.endswith("_mean"):
            t.set_value(rng.normal(0, 0.05, t.shape).astype("float32"))


def test_fuse_for_export_counts_and_is_idempotent():
    model = build_model(ARCH)
    n_rep = sum(isinstance(m, LearnableRepLayer) for m in model.sublayers())
    assert n_rep and all(isinstance(m, C.Reparameterizable) for m in model.sublayers()
                         if isinstance(m, LearnableRepLayer))
    model.eval()
    assert fuse_for_export(model) == n_rep
    assert fuse_for_export(model) == 0


def test_exported_det_model_equals_eval_model(tmp_path):
    paddle.seed(5)
    model = build_model(ARCH)
    _trained_like(model)
    weights = str(tmp_path / "model")
    paddle.save(model.state_dict(), weights + ".pdparams")
    reference = copy.deepcopy(model)
    reference.eval()
    inputs = [paddle.rand([1, 3, 64, 64]), paddle.rand([2, 3, 96, 128])]
    want = [reference({"image": x})["maps"].numpy() for x in inputs]

    post_cfg = {"name": "DBPostProcess", "thresh": 0.3, "box_thresh": 0.6}
    cfg = {"Global": {"pretrained_model": weights, "save_inference_dir": str(tmp_path / "inference")},
           "Architecture": ARCH, "PostProcess": post_cfg,
           "Eval": {"dataset": {"transforms": EVAL_TRANSFORMS}}}
    out_dir = export(cfg, model, build_post_process(dict(post_cfg)))
    assert all(m.is_repped for m in model.sublayers() if isinstance(m, LearnableRepLayer))

    loaded = paddle.jit.load(os.path.join(out_dir, "inference"))
    loaded.eval()
    n_fused = sum(int(np.prod(p.shape)) for p in model.parameters())
    assert sum(int(np.prod(p.shape)) for p in loaded.parameters()) <= n_fused < sum(
        int(np.prod(p.shape)) for p in reference.parameters())
    for x, ref in zip(inputs, want):
        got = loaded(x)
        got = (got["maps"] if isinstance(got, dict) else got[0] if isinstance(got, (list, tuple)) else got).numpy()
        assert got.shape == ref.shape
        assert np.abs(got - ref).max() <= 1e-4, np.abs(got - ref).max()
