"""LayoutXLM SER/RE models from a starter directory: shapes, windows, training steps, checkpoints, export."""
import os

import numpy as np
import pytest

from ppocr.testing.kie import MAX_SEQ_LEN, windows_needed
from ppocr.utils.errors import ConfigError, DataError

paddle = pytest.importorskip("paddle")
pytest.importorskip("paddlenlp")

from ppocr.data.simple_dataset import SimpleDataSet  # noqa: E402
from ppocr.losses.kie_vqa_loss import LossFromOutput, VQASerTokenLayoutLMLoss  # noqa: E402
from ppocr.metrics.kie_metric import VQAReTokenMetric, VQASerTokenMetric  # noqa: E402
from ppocr.modeling import build_model  # noqa: E402
from ppocr.postprocess.kie_postprocess import VQAReTokenLayoutLMPostProcess, VQASerTokenLayoutLMPostProcess  # noqa: E402

SER_KEYS = ["input_ids", "bbox", "attention_mask", "token_type_ids", "labels"]
RE_KEYS = ["input_ids", "bbox", "attention_mask", "token_type_ids", "entities", "relations"]


def _arch(backbone):
    return {"name": "KIEModel", "model_type": "kie", "algorithm": "LayoutXLM", "Transform": None, "Backbone": backbone}


def _ser(starter, **kw):
    return build_model(_arch(dict({"name": "LayoutXLMForSer", "pretrained": starter, "mode": "vi", "num_classes": 7},
                                  **kw)))


def _re(starter, **kw):
    return build_model(_arch(dict({"name": "LayoutXLMForRe", "pretrained": starter, "mode": "vi"}, **kw)))


@pytest.fixture(scope="module")
def windows(kie_data, starter):
    """Windows per form, sized from the data (how many pieces a fresh tokenizer cuts varies by version)."""
    return windows_needed(kie_data, starter)


def _batch(kie_data, starter, windows, re=False, split="train"):
    enc = {"class_path": os.path.join(kie_data, "class_list.txt"), "tokenizer_path": starter, "order_method": "tb-yx",
           "contains_re": re}
    tf = [{"DecodeImage": {"img_mode": "RGB"}}, {"VQATokenLabelEncode": enc},
          {"VQATokenPad": {"max_seq_len": MAX_SEQ_LEN}}]
    if re:
        tf += [{"VQAReTokenRelation": None}, {"VQAReTokenChunk": {"max_seq_len": MAX_SEQ_LEN, "max_windows": windows}},
               {"TensorizeEntitiesRelations": {"max_seq_len": 40}}]
    else:
        tf += [{"VQASerTokenChunk": {"max_seq_len": MAX_SEQ_LEN, "max_windows": windows}}]
    tf += [{"KeepKeys": {"keep_keys": RE_KEYS if re else SER_KEYS}}]
    ds = SimpleDataSet(kie_data, [os.path.join(kie_data, f"{split}.json")], tf)
    items = [ds[i] for i in range(len(ds))]
    return {k: paddle.to_tensor(np.stack([it[k] for it in items])) for k in items[0]}


def _train(model, loss_fn, batch, steps, lr=3e-3):
    paddle.seed(0)
    model.train()
    opt = paddle.optimizer.AdamW(learning_rate=lr, parameters=model.parameters())
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(batch), batch)["loss"]
        loss.backward()
        opt.step()
        opt.clear_grad()
        losses.append(float(loss))
    return losses


def test_ser_shapes_and_windows(kie_data, starter, windows):
    assert windows >= 2  # the forms are longer than one window, so joining windows is exercised
    model = _ser(starter)
    assert model.input_keys == ["input_ids", "bbox", "attention_mask", "token_type_ids"]
    batch = _batch(kie_data, starter, windows)
    b = batch["input_ids"].shape[0]
    out = model(batch)
    assert set(out) >= {"backbone_out", "hidden_states_0"} and out["backbone_out"].shape == [b, windows * MAX_SEQ_LEN, 7]
    model.eval()
    with paddle.no_grad():
        logits = model(batch)
        flat = {k: v.reshape([-1, MAX_SEQ_LEN] + v.shape[3:]) for k, v in batch.items()}
        per_window = model(flat)  # the windows run as separate sequences
    assert logits.shape == [b, windows * MAX_SEQ_LEN, 7]
    np.testing.assert_allclose(logits.numpy(), per_window.reshape([b, -1, 7]).numpy(), atol=1e-5)


def test_ser_trains_and_evaluates(kie_data, starter, windows):
    model = _ser(starter)
    batch = _batch(kie_data, starter, windows)
    losses = _train(model, VQASerTokenLayoutLMLoss(7, key="backbone_out"), batch, steps=12)
    assert losses[-1] < 0.6 * losses[0], losses
    model.eval()
    post, metric = VQASerTokenLayoutLMPostProcess(os.path.join(kie_data, "class_list.txt")), VQASerTokenMetric()
    with paddle.no_grad():
        metric(post(model(batch), batch["labels"]))
    result = metric.get_metric()
    assert set(result) == {"precision", "recall", "hmean"} and 0 <= result["hmean"] <= 1


def test_re_trains_and_evaluates(kie_data, starter, windows):
    model = _re(starter)
    assert model.input_keys[-2:] == ["entities", "relations"]
    batch = _batch(kie_data, starter, windows, re=True)
    losses = _train(model, LossFromOutput("loss", "mean"), batch, steps=15)
    assert losses[-1] < 0.7 * losses[0], losses
    model.eval()
    with paddle.no_grad():
        out = model(batch)
        no_gold = model({k: v for k, v in batch.items() if k != "relations"})
    assert out["relation_probs"].shape == [batch["input_ids"].shape[0], 40, 40] and "loss" not in no_gold
    metric = VQAReTokenMetric()
    metric(VQAReTokenLayoutLMPostProcess()(out, batch["entities"], batch["relations"]))
    assert 0 <= metric.get_metric()["hmean"] <= 1


def test_checkpoint_dirs_round_trip_and_win_over_pretrained(kie_data, starter, windows, tmp_path):
    batch = _batch(kie_data, starter, windows)
    model = _ser(starter)
    _train(model, VQASerTokenLayoutLMLoss(7, key="backbone_out"), batch, steps=2)
    ckpt = str(tmp_path / "best_accuracy")
    model.save_pretrained(ckpt)
    assert {"model_state.pdparams", "config.json", "model_config.json"} <= set(os.listdir(ckpt))
    again = _ser(starter, pretrained=True, checkpoints=ckpt)  # pretrained True would fail: checkpoints win
    model.eval(), again.eval()
    with paddle.no_grad():
        np.testing.assert_allclose(model(batch).numpy(), again(batch).numpy(), atol=1e-6)
    with pytest.raises(ConfigError, match="trained with 7 tags but num_classes is 5"):
        _ser(starter, checkpoints=ckpt, num_classes=5)
    finetune = _ser(ckpt, num_classes=5)  # as pretrained: encoder reused, a new 5-tag classifier
    assert finetune.backbone.model.classifier.weight.shape == [48, 5]
    np.testing.assert_array_equal(finetune.backbone.model.layoutxlm.embeddings.word_embeddings.weight.numpy(),
                                  model.backbone.model.layoutxlm.embeddings.word_embeddings.weight.numpy())
    re_model = _re(starter)
    re_model.save_pretrained(str(tmp_path / "re"))
    assert _re(starter, checkpoints=str(tmp_path / "re")) is not None


def test_missing_weights_explain_where_to_put_them(starter, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"pretrained/vi-layoutxlm-base-uncased.*never downloads.*make_kie_starter"):
        _ser(True)
    with pytest.raises(ConfigError, match="is not a model directory: model_state.pdparams, config.json or model_co"):
        os.makedirs("empty")
        _ser("empty")
    with pytest.raises(ConfigError, match="does not exist"):
        _re(starter, checkpoints="nowhere")
    with pytest.raises(ConfigError, match="mode must be 'vi'"):
        _ser(starter, mode="v1")
    with pytest.raises(ConfigError, match="odd"):
        _ser(starter, num_classes=6)
    with pytest.raises(ConfigError, match="no Neck or Head"):
        build_model(dict(_arch({"name": "LayoutXLMForRe", "pretrained": starter, "mode": "vi"}), Head={"name": "x"}))


def test_base_mode_needs_yacs_or_image(starter):
    try:
        import yacs  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match="yacs"):
            _ser(starter, mode="base")
        return
    pytest.skip("yacs is installed; base mode is covered by the visual backbone check")


def test_inputs_that_do_not_fit_the_model(kie_data, starter, windows):
    model = _ser(starter)
    batch = _batch(kie_data, starter, windows)
    with pytest.raises(DataError, match="does not fit the model's vocabulary"):
        model(dict(batch, input_ids=batch["input_ids"] + 10000))
    model = _ser(starter)
    with pytest.raises(DataError, match="0-1000 grid"):
        model(dict(batch, bbox=batch["bbox"] * 0 + 2000))
    with pytest.raises(DataError, match="needs batch keys"):
        model({"bbox": batch["bbox"]})


def test_exported_models_agree_with_training_time_models(kie_data, starter, windows, tmp_path):
    from ppocr.engine.export import _InferenceWrapper

    for kind in ("ser", "re"):
        model = _ser(starter) if kind == "ser" else _re(starter)
        batch = _batch(kie_data, starter, windows + 1, re=kind == "re", split="eval")  # one window all padding
        model.eval()
        chunk = "VQASerTokenChunk" if kind == "ser" else "VQAReTokenChunk"
        spec = model.input_spec_from_transforms([{"VQATokenPad": {"max_seq_len": MAX_SEQ_LEN}},
                                                 {chunk: {"max_seq_len": MAX_SEQ_LEN, "max_windows": windows + 1}},
                                                 {"TensorizeEntitiesRelations": {"max_seq_len": 40}}])
        assert [s.name for s in spec] == model.input_keys[:4 if kind == "ser" else 5]
        assert list(spec[1].shape) == [-1, windows + 1, MAX_SEQ_LEN, 4]
        static = paddle.jit.to_static(_InferenceWrapper(model), input_spec=[spec], full_graph=True)
        paddle.jit.save(static, str(tmp_path / kind / "inference"))
        loaded = paddle.jit.load(str(tmp_path / kind / "inference"))
        loaded.eval()
        with paddle.no_grad():
            ref = model(batch)
            got = loaded(*[batch[k] for k in model.input_keys[:len(spec)]])
        ref = ref if kind == "ser" else ref["relation_probs"]
        got = got if isinstance(got, paddle.Tensor) else got[0]
        np.testing.assert_allclose(got.numpy(), ref.numpy(), atol=1e-5)


def test_checkpoint_directory_resumes_training(kie_data, starter, windows, tmp_path):
    """PaddleOCR's KIE checkpoint layout: prefix/ (paddlenlp dir + metric.states) + prefix.pdopt; a model built
    from Backbone.checkpoints plus the restored optimizer continues exactly like the uninterrupted run."""
    from ppocr.utils.errors import CheckpointError
    from ppocr.kie.checkpoint import is_kie_checkpoint, load_kie_checkpoint, save_kie_checkpoint

    batch = _batch(kie_data, starter, windows)
    loss_fn = VQASerTokenLayoutLMLoss(7, key="backbone_out")

    def step(model, opt):
        model.eval()  # no dropout, so both runs see the same computation
        loss = loss_fn({"backbone_out": model(batch)}, batch)["loss"]
        loss.backward()
        opt.step()
        opt.clear_grad()
        return float(loss)

    prefix = str(tmp_path / "latest")
    with paddle.utils.unique_name.guard():  # as the engine runs: the same parameter names in every run
        model = _ser(starter)
        opt = paddle.optimizer.AdamW(learning_rate=1e-3, parameters=model.parameters())
        step(model, opt)
        save_kie_checkpoint(prefix, model, opt, {"epoch": 1, "global_step": 1, "best_model_dict": {"hmean": 0.5}})
        save_kie_checkpoint(prefix, model, opt, {"epoch": 1, "global_step": 1, "best_model_dict": {"hmean": 0.5}})
        expected = [step(model, opt) for _ in range(2)]
    assert is_kie_checkpoint(prefix) and os.path.isfile(prefix + ".pdopt")
    assert {"model_state.pdparams", "config.json", "model_config.json", "metric.states"} <= set(os.listdir(prefix))
    assert sorted(os.listdir(tmp_path)) == ["latest", "latest.pdopt"]  # no temporary leftovers

    with paddle.utils.unique_name.guard():
        resumed = _ser(starter, checkpoints=prefix)
        opt2 = paddle.optimizer.AdamW(learning_rate=1e-3, parameters=resumed.parameters())
        used, states = load_kie_checkpoint(prefix, opt2)
        assert used == prefix.rstrip("/")
        assert states["global_step"] == 1 and states["best_model_dict"] == {"hmean": 0.5}
        np.testing.assert_allclose([step(resumed, opt2) for _ in range(2)], expected, rtol=1e-5)

    with open(prefix + ".pdopt", "ab") as f:
        f.write(b"x")
    with pytest.raises(CheckpointError, match="only partly written"):
        load_kie_checkpoint(prefix, opt2)
    with pytest.raises(CheckpointError, match="not a KIE checkpoint"):
        load_kie_checkpoint(str(tmp_path), opt2)
