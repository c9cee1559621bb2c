"""Reading inference programs as ordered parameter uses: a Paddle 2.x program and the PIR program traced from the
same network read the same, whatever their tensor names."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import paddle
import pytest
from paddle.static import InputSpec

from ppocr.engine.tracing import save_program
from ppocr.testing.releases import SmallNet, write_legacy_inference_model
from ppocr.utils.errors import CheckpointError
from ppocr.utils.inference_program import find_inference_model, op_kind, read_inference_model

EXPECTED = [("conv2d", "weight", (8, 3, 3, 3)), ("add", "operand", (8,)),
            ("batch_norm", "bias", (8,)), ("batch_norm", "mean", (8,)), ("batch_norm", "scale", (8,)),
            ("batch_norm", "variance", (8,)), ("conv2d", "weight", (8, 1, 3, 3)),
            ("conv2d_transpose", "weight", (8, 4, 2, 2)), ("add", "operand", (4,)),
            ("layer_norm", "bias", (4,)), ("layer_norm", "scale", (4,)), ("matmul", "y", (4, 5)),
            ("add", "operand", (5,))]


def _seq(program):
    return [(u.op, u.role, u.shape) for u in program.uses]


def test_both_dialects_read_the_same(tmp_path):
    legacy = read_inference_model(write_legacy_inference_model(str(tmp_path / "legacy")))
    save_program(SmallNet(), [InputSpec([-1, 3, -1, -1], "float32", "x")], str(tmp_path / "pir" / "inference"))
    pir = read_inference_model(str(tmp_path / "pir"))
    assert (legacy.dialect, pir.dialect) == ("pdmodel", "json")
    assert _seq(legacy) == _seq(pir) == EXPECTED
    assert legacy.feeds == pir.feeds == [("x", [-1, 3, -1, -1], "float32")]
    assert legacy.unused == pir.unused == [] and len(legacy.values) == len(EXPECTED)
    assert all(legacy.values[u.name].shape == u.shape for u in legacy.uses)
    assert paddle.in_dynamic_mode()  # reading leaves dygraph mode on


def test_a_program_prefix_is_found_and_a_bad_folder_named(tmp_path):
    write_legacy_inference_model(str(tmp_path))
    assert find_inference_model(str(tmp_path / "inference")) == (str(tmp_path / "inference.pdmodel"),
                                                                  str(tmp_path / "inference.pdiparams"))
    assert find_inference_model(str(tmp_path / "nothing")) is None
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="not an inference model"):
        read_inference_model(str(tmp_path / "empty"))


@pytest.mark.parametrize("name,kind", [("pd_op.batch_norm_", "batch_norm"), ("depthwise_conv2d", "conv2d"),
                                       ("matmul_v2", "matmul"), ("elementwise_add", "add"), ("pd_op.add", "add")])
def test_op_kinds_of_both_dialects(name, kind):
    assert op_kind(name) == kind
