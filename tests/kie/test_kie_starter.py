"""The starter model directory: a tokenizer trained on the user's text and a random LayoutXLM, loadable offline."""
import json
import os

import numpy as np
import pytest

from ppocr.utils.errors import ConfigError, DataError

paddlenlp = pytest.importorskip("paddlenlp")


def test_starter_dir_layout_and_tokenizer(starter):
    from paddlenlp.transformers import LayoutXLMTokenizer

    assert {"sentencepiece.bpe.model", "tokenizer_config.json", "config.json", "model_config.json",
            "model_state.pdparams", "starter.json"} <= set(os.listdir(starter))
    tok = LayoutXLMTokenizer.from_pretrained(starter)
    # LayoutXLM's fixed ids: <s> 0, <pad> 1, </s> 2, <unk> 3, <mask> last
    assert (tok.cls_token_id, tok.pad_token_id, tok.sep_token_id, tok.unk_token_id) == (0, 1, 2, 3)
    assert tok.mask_token_id == tok.vocab_size - 1
    ids = tok.convert_tokens_to_ids(tok.tokenize("Name: Date"))
    assert ids and min(ids) >= 3 and max(ids) < tok.vocab_size
    assert tok.convert_tokens_to_string(tok.tokenize("Total: 12")) == "Total: 12"
    info = json.load(open(os.path.join(starter, "starter.json")))
    assert info["vocab_size"] == tok.vocab_size and info["model"]["vocab_size"] == tok.vocab_size
    assert info["doc_tokens"]["documents"] == 6 and info["doc_tokens"]["max"] > 0


def test_starter_loads_as_paddlenlp_models(starter):
    import paddle
    from paddlenlp.transformers import LayoutXLMForTokenClassification, LayoutXLMModel

    base = LayoutXLMModel.from_pretrained(starter)
    ser = LayoutXLMForTokenClassification.from_pretrained(starter, num_classes=7)
    assert base.config.hidden_size == 48 and base.config.num_hidden_layers == 1
    assert not base.config.use_visual_backbone
    np.testing.assert_array_equal(base.embeddings.word_embeddings.weight.numpy(),
                                  ser.layoutxlm.embeddings.word_embeddings.weight.numpy())
    ser.eval()
    ids = paddle.to_tensor([[5, 6, 7, 1]])
    bbox = paddle.to_tensor([[[0, 0, 10, 10]] * 4])
    logits = ser(input_ids=ids, bbox=bbox, attention_mask=paddle.to_tensor([[1, 1, 1, 0]]))[0]
    assert logits.shape == [1, 4, 7]


def test_starter_is_reproducible_and_checks_sizes(kie_data, starter, tmp_path):
    from ppocr.kie.starter import make_starter, starter_config

    label = os.path.join(kie_data, "train.json")
    with pytest.raises(ConfigError, match="divisible by 6.*try 48 or 54"):
        starter_config(100, hidden_size=50, num_heads=2)
    with pytest.raises(ConfigError, match="already exists"):
        make_starter([label], starter)
    with pytest.raises(DataError, match="not found"):
        make_starter([str(tmp_path / "missing.txt")], str(tmp_path / "s"))
    again = make_starter([label], str(tmp_path / "again"), vocab_size=200, hidden_size=48, num_layers=1, num_heads=2,
                         max_position_embeddings=66, max_seq_len=64, seed=0)
    assert again["vocab_size"] == json.load(open(os.path.join(starter, "starter.json")))["vocab_size"]
    from paddlenlp.transformers import LayoutXLMTokenizer
    import paddle

    # the same data and seed give the same vocabulary and the same initial weights
    assert LayoutXLMTokenizer.from_pretrained(starter).get_vocab() == \
        LayoutXLMTokenizer.from_pretrained(str(tmp_path / "again")).get_vocab()
    w1 = paddle.load(os.path.join(starter, "model_state.pdparams"))
    w2 = paddle.load(str(tmp_path / "again" / "model_state.pdparams"))
    assert sorted(w1) == sorted(w2) and all(np.array_equal(w1[k].numpy(), w2[k].numpy()) for k in w1)


def test_cli(kie_data, tmp_path):
    import importlib.util

    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    spec = importlib.util.spec_from_file_location("make_kie_starter", os.path.join(repo, "tools", "make_kie_starter.py"))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = str(tmp_path / "cli_starter")
    args = ["--label_files", os.path.join(kie_data, "train.json"), "--out", out, "--vocab_size", "150",
            "--hidden_size", "48", "--num_layers", "1", "--num_heads", "2"]
    assert tool.main(args) == 0 and os.path.isfile(os.path.join(out, "model_state.pdparams"))
    assert tool.main(args) == 2  # exists: usage error, not a traceback
    assert tool.main(args[:-6] + ["--hidden_size", "50", "--overwrite"]) == 2


def test_starter_position_embeddings_are_sinusoidal(starter):
    """Smooth position and box-coordinate tables: nearby coordinates get similar vectors (random tables would make
    a from-scratch model learn that first; relation extraction then stays at its base rate)."""
    import paddle
    from paddlenlp.transformers import LayoutXLMForRelationExtraction  # noqa: F401  (paddlenlp is there)

    from ppocr.kie.starter import POSITION_TABLES, sinusoid_table

    info = json.load(open(os.path.join(starter, "starter.json")))
    assert info["sinusoidal_embeddings"] == list(POSITION_TABLES)
    weights = paddle.load(os.path.join(starter, "model_state.pdparams"))
    x = weights["embeddings.x_position_embeddings.weight"].numpy()
    np.testing.assert_allclose(x, sinusoid_table(*x.shape), rtol=1e-6)
    assert abs(float(x.std()) - 0.02) < 1e-4
    cos = (x @ x[200]) / (np.linalg.norm(x, axis=1) * np.linalg.norm(x[200]))
    assert cos[201] > 0.8 and cos[201] > cos[202] > cos[210]  # similarity falls with the distance
