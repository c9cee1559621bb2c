"""PaddleOCR's PP-OCRv4 distillation configs (det CML, mobile rec DKD), as shipped, train, evaluate and export
the student; only sizes change (tiny images, batch 2, two steps, no workers).

Checked: finite losses with every named loss term logged; a frozen teacher's parameters unchanged by training;
evaluation of the checkpoint; the exported Student equals the eval-mode student (max abs diff <= 1e-4).
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import paddle
import pytest

import ppocr  # noqa: F401  (registers components)
from ppocr.engine import evaluate, export, train
from ppocr.engine.task import task_for
from ppocr.testing import REPO_ROOT, make_det_data, make_rec_data, rec_config
from ppocr.utils.config import get_config

DET = os.path.join(REPO_ROOT, "configs/det/PP-OCRv4/PP-OCRv4_det_cml.yml")
REC = os.path.join(REPO_ROOT, "configs/rec/PP-OCRv4/PP-OCRv4_mobile_rec_distillation.yml")
COMMON = ["Global.max_steps=2", "Global.print_batch_step=1", "Global.use_gpu=False", "Global.distributed=False",
          "Train.loader.batch_size_per_card=2", "Train.loader.num_workers=0", "Eval.loader.num_workers=0",
          "Eval.loader.batch_size_per_card=2"]
REC_SMALL = COMMON + ["Train.dataset.transforms.3.RecResizeImg.image_shape=[3,48,64]",
                      "Eval.dataset.transforms.2.RecResizeImg.image_shape=[3,48,64]",
                      "Architecture.Models.Teacher.Backbone.img_size=[48,64]",
                      "Architecture.Models.Teacher.Head.head_list.1.NRTRHead.nrtr_dim=32",
                      "Architecture.Models.Student.Head.head_list.1.NRTRHead.nrtr_dim=32"]
DET_TERMS = {"dila_dbloss_Student_Teacher", "dila_dbloss_Student2_Teacher", "dml_thrink_maps_0",
             "db_Student_loss_shrink_maps", "db_Student2_loss_binary_maps", "db_Student2_loss_threshold_maps"}
REC_TERMS = {"dkd_0", "loss_ctc_Student_0", "loss_nrtr_Student_0", "ctc_logits_0"}


def _det_config(data: str, save: str, extra=()) -> dict:
    opts = [f"Global.save_model_dir={save}"] + COMMON
    for section, split in (("Train", "train"), ("Eval", "eval")):
        opts += [f"{section}.dataset.data_dir={data}",
                 f"{section}.dataset.label_file_list=[{os.path.join(data, f'det_gt_{split}.txt')}]"]
    cfg = get_config(DET, opts + list(extra))
    for section, name, key, value in (("Train", "EastRandomCropData", "size", [64, 64]),
                                      ("Eval", "DetResizeForTest", "image_shape", [64, 64])):
        entry = next(e for e in cfg[section]["dataset"]["transforms"] if name in e)
        entry[name] = {key: value} if name == "DetResizeForTest" else dict(entry[name], **{key: value})
    return cfg


def _save_teacher(cfg: dict, path: str) -> dict:
    """Build the config's model, save its Teacher's weights to ``path`` (for Models.Teacher.pretrained)."""
    teacher = task_for(cfg).build_core(cfg)["model"].Teacher
    paddle.save(teacher.state_dict(), path + ".pdparams")
    return {k: v.numpy() for k, v in teacher.state_dict().items()}


def _check_run(cfg_fn, terms: set, tmp_path, image: list) -> None:
    save = str(tmp_path / "out")
    teacher_path = str(tmp_path / "teacher")
    before = _save_teacher(cfg_fn(save, []), teacher_path)
    pre = [f"Architecture.Models.Teacher.pretrained={teacher_path}"]
    result = train(cfg_fn(save, pre))
    assert result["global_step"] == 2
    for _, rec in result["history"]["train"]:
        assert np.isfinite(rec["loss"])
        assert terms <= set(rec), f"missing loss terms {terms - set(rec)} in {sorted(rec)}"

    latest = os.path.join(save, "latest")
    params = paddle.load(latest + ".pdparams")
    model = task_for(cfg_fn(save, [])).build_core(cfg_fn(save, []))["model"]
    # BatchNorm statistics (_mean, _variance) follow the batches in training mode, as in PaddleOCR; weights do not
    trainable = {n for n, _ in model.Teacher.named_parameters() if not n.endswith(("._mean", "._variance"))}
    assert trainable and all(np.array_equal(params[f"Teacher.{k}"].numpy(), before[k]) for k in trainable), \
        "the frozen teacher's parameters changed"
    assert any(not np.array_equal(params[f"Student.{n}"].numpy(), p.numpy())
               for n, p in model.Student.named_parameters()), "the student did not train"

    metric = evaluate(cfg_fn(save, [f"Global.checkpoints={latest}"]))
    assert metric

    inf_dir = str(tmp_path / "inference")
    out = export(cfg_fn(save, [f"Global.pretrained_model={latest}", f"Global.save_inference_dir={inf_dir}"]))
    assert out == os.path.join(inf_dir, "Student")
    assert os.path.isfile(os.path.join(out, "inference.pdiparams")) and os.path.isfile(os.path.join(out,
                                                                                                   "inference.yml"))
    model.set_state_dict(params)
    student = model.Student
    student.return_all_feats = False
    student.eval()
    loaded = paddle.jit.load(os.path.join(out, "inference"))
    loaded.eval()
    x = paddle.rand([2] + image)
    got = loaded(x)
    want = student({"image": x})
    want = want["maps"] if isinstance(want, dict) else want
    got = got["maps"] if isinstance(got, dict) else got
    assert isinstance(got, paddle.Tensor) and got.shape == want.shape
    assert float(np.abs(got.numpy() - want.numpy()).max()) <= 1e-4


@pytest.fixture(scope="module")
def det_data(tmp_path_factory):
    return make_det_data(str(tmp_path_factory.mktemp("det")), num_train=4, num_eval=2, width=160, height=128)


@pytest.fixture(scope="module")
def rec_data(tmp_path_factory):
    return make_rec_data(str(tmp_path_factory.mktemp("rec")), num_train=4, num_eval=2)


def test_det_cml_trains_evaluates_exports_student(det_data, tmp_path):
    _check_run(lambda save, extra: _det_config(det_data, save, extra), DET_TERMS, tmp_path, [3, 64, 64])


def test_rec_distillation_trains_evaluates_exports_student(rec_data, tmp_path):
    _check_run(lambda save, extra: rec_config(rec_data, save, REC_SMALL + list(extra), config=REC), REC_TERMS,
               tmp_path, [3, 48, 64])


@pytest.mark.parametrize("path", [DET, REC])
def test_unchanged_config_builds(path):
    cfg = get_config(path)
    core = task_for(cfg).build_core(cfg)
    model = core["model"]
    assert model.model_names[-1 if path == REC else 0] == "Student"
    assert all(p.stop_gradient for p in model.Teacher.parameters())
    assert any(not p.stop_gradient for p in model.Student.parameters())
