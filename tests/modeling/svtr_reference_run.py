"""Run by test_rec_svtr_reference.py in a fresh process (the Paddle 2.x program format needs the PIR API off
before paddle is imported): PP-OCRv4's released inference model gives the backbone features and the final
CTC probabilities; our SequenceEncoder(svtr) + CTCHead, loaded with the same weights, must reproduce them.

Usage: python svtr_reference_run.py MODEL_DIR   (prints the max abs difference)
"""
import os
import sys

os.environ["FLAGS_enable_pir_api"] = "0"

import numpy as np  # noqa: E402
import paddle  # noqa: E402

# names in the PP-OCRv4 mobile rec program: the backbone output and the neck/head parameters, in creation order
FEATURE = "pool2d_3.tmp_0"
CONVS = [f"conv2d_{i}" for i in range(142, 147)]
BNS = [f"batch_norm2d_{i}" for i in range(148, 153)]
LNS = [f"layer_norm_{i}" for i in range(43, 48)]
LINS = [f"linear_{i}" for i in range(77, 86)]


def reference(model_dir: str, x: np.ndarray):
    paddle.enable_static()
    exe = paddle.static.Executor(paddle.CPUPlace())
    prog, _, fetches = paddle.static.load_inference_model(os.path.join(model_dir, "inference"), exe)
    feat, out = exe.run(prog, feed={"x": x}, fetch_list=[FEATURE, fetches[0].name])
    scope = paddle.static.global_scope()
    params = {}
    for v in prog.list_vars():
        if v.persistable and v.name not in ("feed", "fetch") and scope.find_var(v.name) is not None:
            try:
                params[v.name] = np.array(scope.find_var(v.name).get_tensor())
            except ValueError:  # non-tensor variables
                pass
    paddle.disable_static()
    return feat, out, params


def neck_state(params: dict) -> dict:
    sd = {}
    for name, c, b in zip(["conv1", "conv2", "conv3", "conv4", "conv1x1"], CONVS, BNS):
        sd[f"encoder.{name}.conv.weight"] = params[c + ".w_0"]
        for k, s in (("weight", "w_0"), ("bias", "b_0"), ("_mean", "w_1"), ("_variance", "w_2")):
            sd[f"encoder.{name}.norm.{k}"] = params[f"{b}.{s}"]
    for blk in range(2):
        for j, n in enumerate(["norm1", "norm2"]):
            for k, s in (("weight", "w_0"), ("bias", "b_0")):
                sd[f"encoder.svtr_block.{blk}.{n}.{k}"] = params[f"{LNS[blk * 2 + j]}.{s}"]
        for j, n in enumerate(["mixer.qkv", "mixer.proj", "mlp.fc1", "mlp.fc2"]):
            for k, s in (("weight", "w_0"), ("bias", "b_0")):
                sd[f"encoder.svtr_block.{blk}.{n}.{k}"] = params[f"{LINS[blk * 4 + j]}.{s}"]
    sd["encoder.norm.weight"], sd["encoder.norm.bias"] = params[LNS[4] + ".w_0"], params[LNS[4] + ".b_0"]
    return sd


def main(model_dir: str) -> None:
    from ppocr.modeling.heads.rec_ctc_head import CTCHead
    from ppocr.modeling.necks.rnn import SequenceEncoder

    x = np.random.RandomState(0).uniform(-1, 1, (2, 3, 48, 160)).astype("float32")
    feat, out, params = reference(model_dir, x)
    neck = SequenceEncoder(in_channels=feat.shape[1], encoder_type="svtr", dims=120, depth=2, hidden_dims=120,
                           kernel_size=[1, 3], use_guide=True)
    head = CTCHead(in_channels=120, out_channels=out.shape[-1], fc_decay=1e-5)
    sd = neck_state(params)
    missing = sorted(set(neck.state_dict()) - set(sd))
    if missing:
        raise SystemExit(f"unmapped keys: {missing}")
    neck.set_state_dict(sd)
    head.set_state_dict({"fc.weight": params[LINS[8] + ".w_0"], "fc.bias": params[LINS[8] + ".b_0"]})
    neck.eval()
    head.eval()
    ours = head(neck(paddle.to_tensor(feat))).numpy()
    print(f"max_abs_diff={np.abs(ours - out).max():.3g} shape={list(ours.shape)}")


if __name__ == "__main__":
    main(sys.argv[1])
