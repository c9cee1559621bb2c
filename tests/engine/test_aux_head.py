"""Architecture.AuxHead: a training-only CTC head on the backbone's features, added to the loss by CTCLoss."""
import os

import cv2
import numpy as np
import paddle
import pytest

import ppocr  # noqa: F401  (registers components)
from ppocr.engine import export, infer, train
from ppocr.losses import build_loss
from ppocr.modeling import build_model
from ppocr.registry import LOSSES
from ppocr.testing import make_rec_data, rec_config
from ppocr.utils.errors import ConfigError

ARCH = {"model_type": "rec", "algorithm": "CRNN", "Transform": None,
        "Backbone": {"name": "MobileNetV3", "model_name": "small", "scale": 0.35},
        "Neck": {"name": "SequenceEncoder", "encoder_type": "rnn", "hidden_size": 16},
        "Head": {"name": "CTCHead", "fc_decay": 0}, "AuxHead": {"name": "CTCHead", "fc_decay": 0}}
AUX = "Architecture.AuxHead={name: CTCHead, fc_decay: 0}"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return make_rec_data(str(tmp_path_factory.mktemp("rec_aux")), num_train=8, num_eval=4)


def test_aux_output_in_training_only_and_its_loss_is_added():
    paddle.seed(3)
    model = build_model(ARCH, num_classes=7)
    x = paddle.rand([2, 3, 32, 64])
    out = model(x)
    assert set(out) == {"head_out", "aux_out"}
    assert out["head_out"].shape == out["aux_out"].shape == [2, 16, 7]

    batch = {"label": paddle.to_tensor([[1, 2, 3], [4, 5, 0]]), "length": paddle.to_tensor([3, 2])}
    loss = build_loss({"name": "CTCLoss", "aux_weight": 0.25})(out, batch)
    plain = build_loss({"name": "CTCLoss"})
    main, aux = plain(out["head_out"], batch)["loss"], plain(out["aux_out"], batch)["loss"]
    np.testing.assert_allclose(float(loss["loss"]), float(main) + 0.25 * float(aux), rtol=1e-5)
    np.testing.assert_allclose([float(loss["loss_ctc"]), float(loss["loss_aux"])], [float(main), float(aux)], rtol=1e-5)
    loss["loss"].backward()
    assert model.aux_head.fc.weight.grad is not None and float(model.aux_head.fc.weight.grad.abs().sum()) > 0

    model.eval()   # evaluation and export see the main path alone: the same probabilities as without AuxHead
    plain_model = build_model({k: v for k, v in ARCH.items() if k != "AuxHead"}, num_classes=7)
    plain_model.set_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("aux_head.")})
    plain_model.eval()
    np.testing.assert_allclose(model(x).numpy(), plain_model(x).numpy(), atol=1e-6)


def test_train_export_predict_with_aux_head(data_dir, tmp_path):
    save = str(tmp_path / "out")
    train(rec_config(data_dir, save, ["Global.epoch_num=1", AUX, "Loss.aux_weight=0.5"]))
    log = open(os.path.join(save, "train.log")).read()
    assert "loss_ctc:" in log and "loss_aux:" in log
    best = os.path.join(save, "best_accuracy")
    assert any(k.startswith("aux_head.") for k in paddle.load(best + ".pdparams"))

    inf_dir = str(tmp_path / "inference")
    export(rec_config(data_dir, save, [AUX, f"Global.pretrained_model={best}", f"Global.save_inference_dir={inf_dir}"]))
    trained = infer(rec_config(data_dir, save, [AUX, f"Global.checkpoints={best}",
                                                f"Global.infer_img={os.path.join(data_dir, 'eval')}",
                                                f"Global.save_res_path={tmp_path / 'res.txt'}"]))
    from ppocr.inference.predict_rec import TextRecognizer

    rec = TextRecognizer({"rec_model_dir": inf_dir, "use_gpu": False, "rec_image_shape": "3,32,64",
                          "rec_batch_num": 1, "use_space_char": False})
    served, _ = rec([cv2.imread(r["img_path"]) for r in trained])
    assert [t for t, _ in served] == [r["text"] for r in trained]
    np.testing.assert_allclose([s for _, s in served], [r["score"] for r in trained], rtol=1e-4, atol=1e-5)

    # the exported model carries no auxiliary weights: the same as exporting the main path alone
    plain_dir = str(tmp_path / "inference_plain")
    export(rec_config(data_dir, save, [f"Global.pretrained_model={best}", f"Global.save_inference_dir={plain_dir}"]))
    assert os.path.getsize(os.path.join(inf_dir, "inference.pdiparams")) == \
        os.path.getsize(os.path.join(plain_dir, "inference.pdiparams"))

    # the weights fine-tune into a config without the auxiliary head; its weights are reported as unused
    train(rec_config(data_dir, str(tmp_path / "ft"), [f"Global.pretrained_model={best}", "Global.max_steps=1"]))
    assert "aux_head.fc.weight" in open(tmp_path / "ft" / "train.log").read()


@LOSSES.register()
class _NoAuxLoss(paddle.nn.Layer):
    """Test loss that knows nothing of auxiliary heads."""

    def forward(self, preds, batch):
        return {"loss": preds.mean()}


def test_aux_head_config_errors(data_dir, tmp_path):
    with pytest.raises(ConfigError, match="recognition"):
        build_model({"model_type": "det", "algorithm": "DB", "Transform": None,
                     "Backbone": {"name": "MobileNetV3", "model_name": "small", "scale": 0.35},
                     "Head": {"name": "DBHead"}, "AuxHead": {"name": "CTCHead"}})
    with pytest.raises(ConfigError, match="AuxHead"):
        build_model({**ARCH, "AuxHead": {"name": "CTCHaed"}}, num_classes=7)
    with pytest.raises(ConfigError, match="AuxHead needs a loss"):
        train(rec_config(data_dir, str(tmp_path / "e"), [AUX, "Loss.name=_NoAuxLoss", "Global.max_steps=1"]))
    with pytest.raises((ValueError, ConfigError), match="aux_weight"):
        build_loss({"name": "CTCLoss", "aux_weight": -1})
