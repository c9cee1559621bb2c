"""Converted VGSL model files go through the checkpoint layer: written atomically, a torn pair is detected."""
import os

import numpy as np
import paddle
import pytest

import ppocr  # noqa: F401
from ppocr.modeling import build_model
from ppocr.utils.errors import CheckpointError
from ppocr.vgsl.codec import Codec
from ppocr.vgsl.model_file import load_model_file, save_model_file

SPEC = "[1,16,0,1 Ct3,3,4 Mp2,2 Lfys8 Lbx8]"


def _model(codec, seed):
    paddle.seed(seed)
    return build_model({"name": "VGSLModel", "model_type": "rec", "spec": SPEC}, num_classes=codec.num_classes)


def test_model_file_round_trip_and_torn_pair(tmp_path):
    codec = Codec.from_texts(["abc", "cab"])
    model = _model(codec, 0)
    prefix = str(tmp_path / "model")
    save_model_file(prefix, model, codec, spec=model.spec)
    assert sorted(os.listdir(tmp_path)) == ["model.codec.json", "model.json", "model.pdparams"]  # no temp files
    info = load_model_file(prefix)
    assert info["codec"] == codec and info["spec"] == model.spec
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(info["state"][k], v.numpy())
    other = _model(codec, 1)
    paddle.save(other.state_dict(), prefix + ".pdparams")  # weights of another save beside this JSON
    with pytest.raises(CheckpointError, match="only partly written"):
        load_model_file(prefix)
