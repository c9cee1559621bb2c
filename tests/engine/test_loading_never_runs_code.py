"""Every way a run loads weights or state refuses a file that carries a pickled payload, before it runs; random and
truncated files are clear errors. Paths: Global.pretrained_model, Global.checkpoints (.pdparams, .pdopt, .states) for
train, eval and export; VGSL's Global.continue_from and converted model files; KIE model directories."""
import copy
import os
import pickle

import numpy as np
import paddle
import pytest

import ppocr  # noqa: F401
from ppocr.engine import evaluate, export, train
from ppocr.testing import make_rec_data, rec_config
from ppocr.utils.errors import CheckpointError, ConfigError


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('ran')",))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("rec")
    data = make_rec_data(str(root / "data"), num_train=4, num_eval=2)
    save = str(root / "out")
    train(rec_config(data, save, ["Global.epoch_num=1"]))
    return data, save


def _poison(path, marker):
    """Rewrite a pickle file so that one value is a payload (a hostile download would look like this)."""
    with open(path, "rb") as f:
        obj = pickle.load(f)
    key = next(iter(obj))
    obj[key] = _Payload(marker)
    with open(path, "wb") as f:
        pickle.dump(obj, f)


def _copy_checkpoint(save, dst):
    os.makedirs(dst, exist_ok=True)
    for ext in ("pdparams", "pdopt", "states"):
        with open(os.path.join(save, f"latest.{ext}"), "rb") as f, open(os.path.join(dst, f"latest.{ext}"), "wb") as g:
            g.write(f.read())
    return os.path.join(dst, "latest")


CASES = [  # (what runs, the option naming the checkpoint, the poisoned file)
    ("train", "pretrained_model", "pdparams"),
    ("train", "checkpoints", "pdparams"),
    ("train", "checkpoints", "pdopt"),
    ("train", "checkpoints", "states"),
    ("evaluate", "checkpoints", "pdparams"),
    ("export", "pretrained_model", "pdparams"),
]


@pytest.mark.parametrize("run,option,ext", CASES)
def test_a_payload_is_refused_and_does_not_run(trained, tmp_path, run, option, ext):
    data, save = trained
    prefix = _copy_checkpoint(save, str(tmp_path / "ckpt"))
    marker = str(tmp_path / "ran.txt")
    _poison(f"{prefix}.{ext}", marker)
    cfg = rec_config(data, str(tmp_path / "out"), [f"Global.{option}={prefix}",
                                                   f"Global.save_inference_dir={tmp_path / 'inf'}"])
    if ext != "states" and option == "checkpoints":   # the .states records the files' hashes: fix it up, as an
        from ppocr.utils.checkpoint import file_digest, read_states, write_states   # attacker would
        states = read_states(prefix + ".states")
        states["_files"][ext] = file_digest(f"{prefix}.{ext}")
        write_states(prefix + ".states", states)
    with pytest.raises((CheckpointError, ConfigError), match=r"refusing to load .*builtins\.exec"):
        {"train": train, "evaluate": evaluate, "export": export}[run](copy.deepcopy(cfg))
    assert not os.path.exists(marker)


@pytest.mark.parametrize("damage", ["random", "truncated"])
def test_random_and_truncated_checkpoints_are_clear_errors(trained, tmp_path, damage):
    data, save = trained
    prefix = _copy_checkpoint(save, str(tmp_path / "ckpt"))
    path = prefix + ".pdparams"
    raw = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(np.random.default_rng(0).bytes(len(raw)) if damage == "random" else raw[: len(raw) // 2])
    with pytest.raises((CheckpointError, ConfigError), match=r"latest\.pdparams is not a readable checkpoint file"):
        train(rec_config(data, str(tmp_path / "out"), [f"Global.pretrained_model={prefix}"]))


def test_vgsl_continue_from_and_model_files_refuse_a_payload(tmp_path):
    from ppocr.modeling import build_model
    from ppocr.vgsl.codec import Codec
    from ppocr.vgsl.finetune import load_source
    from ppocr.vgsl.model_file import load_model_file, save_model_file

    codec = Codec.from_texts(["abc"])
    model = build_model({"name": "VGSLModel", "model_type": "rec", "spec": "[1,16,0,1 Ct3,3,4 Mp2,2 Lfys8]"},
                        num_classes=codec.num_classes)
    prefix = str(tmp_path / "model")
    save_model_file(prefix, model, codec, spec=model.spec)
    marker = str(tmp_path / "ran.txt")
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    state[next(iter(state))] = _Payload(marker)
    with open(prefix + ".pdparams", "wb") as f:
        pickle.dump(state, f)
    import json
    info = json.load(open(prefix + ".json"))
    from ppocr.utils.checkpoint import file_digest
    info["files"]["pdparams"] = file_digest(prefix + ".pdparams")
    json.dump(info, open(prefix + ".json", "w"))
    with pytest.raises(CheckpointError, match=r"refusing to load .*builtins\.exec"):
        load_model_file(prefix)
    with pytest.raises(CheckpointError, match=r"refusing to load .*builtins\.exec"):
        load_source(prefix, {"Global": {}, "Architecture": {"spec": model.spec}})   # Global.continue_from
    with pytest.raises(CheckpointError, match=r"refusing to load .*builtins\.exec"):
        model.load_weights(prefix)                                                 # checkpoints / eval / export
    assert not os.path.exists(marker)


def test_kie_model_directories_refuse_a_payload(tmp_path):
    from ppocr.kie.checkpoint import load_kie_weights

    folder = tmp_path / "model"
    folder.mkdir()
    marker = str(tmp_path / "ran.txt")
    with open(folder / "model_state.pdparams", "wb") as f:
        pickle.dump({"w": _Payload(marker)}, f)
    (folder / "config.json").write_text("{}")
    with pytest.raises(CheckpointError, match=r"refusing to load .*builtins\.exec"):
        load_kie_weights(paddle.nn.Linear(2, 2), str(folder))
    assert not os.path.exists(marker)
