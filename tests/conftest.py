"""Shared test set-up and fixtures."""
import logging
import os

import pytest

_PPOCR = logging.getLogger("ppocr")
# The state before any test: module- and session-scoped fixtures that train (setup_logging) run before a test's
# own fixtures, so each test restores this, not what it found.
_BASELINE = (list(_PPOCR.handlers), _PPOCR.propagate, _PPOCR.level)


def _restore_ppocr_logger():
    for h in list(_PPOCR.handlers):
        if h not in _BASELINE[0]:
            _PPOCR.removeHandler(h)
            h.close()
    _PPOCR.propagate, _PPOCR.level = _BASELINE[1], _BASELINE[2]


@pytest.fixture(autouse=True)
def _isolated_ppocr_logger():
    """Training runs call setup_logging, which gives the 'ppocr' logger its own handlers and stops
    propagation; undo that before and after each test so every test's caplog sees records, whatever the order."""
    _restore_ppocr_logger()
    for name, lg in logging.root.manager.loggerDict.items():
        if name.startswith("ppocr") and isinstance(lg, logging.Logger):
            lg.disabled = False
    yield
    _restore_ppocr_logger()
    # A library that configures logging with disable_existing_loggers (paddlenlp, visualdl) would silence ours.
    for name, lg in logging.root.manager.loggerDict.items():
        if name.startswith("ppocr") and isinstance(lg, logging.Logger):
            lg.disabled = False


@pytest.fixture(scope="session")
def kie_data(tmp_path_factory):
    """Six training and three evaluation KIE forms with labels and class list."""
    from ppocr.testing.kie import make_kie_data

    return make_kie_data(str(tmp_path_factory.mktemp("kie_demo")))


@pytest.fixture(scope="session")
def starter(kie_data, tmp_path_factory):
    """A tiny KIE starter model directory (hidden 48, one layer) trained on the demo transcriptions."""
    pytest.importorskip("paddlenlp")
    from ppocr.testing.kie import make_tiny_starter

    return make_tiny_starter(os.path.join(kie_data, "train.json"), str(tmp_path_factory.mktemp("starter") / "starter"))
