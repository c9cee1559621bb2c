"""Fixtures of the KIE tests: a few synthetic forms and a tiny starter model built from them (no download)."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402

from ppocr.testing.kie import make_kie_data, make_tiny_starter  # noqa: E402


@pytest.fixture(scope="session")
def kie_data(tmp_path_factory):
    """Six training and three evaluation forms with labels and class list."""
    return make_kie_data(str(tmp_path_factory.mktemp("kie_demo")))


@pytest.fixture(scope="session")
def starter(kie_data, tmp_path_factory):
    """A tiny starter model directory (hidden 48, one layer) trained on the demo transcriptions."""
    pytest.importorskip("paddlenlp")
    return make_tiny_starter(os.path.join(kie_data, "train.json"), str(tmp_path_factory.mktemp("starter") / "starter"))
