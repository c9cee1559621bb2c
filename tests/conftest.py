"""Shared test set-up."""
import logging

import pytest


@pytest.fixture(autouse=True)
def _isolated_ppocr_logger():
    """Training runs call setup_logging, which gives the 'ppocr' logger its own handlers and stops
    propagation; undo that after each test so later tests' caplog sees records, whatever the order."""
    log = logging.getLogger("ppocr")
    saved = (list(log.handlers), log.propagate, log.level)
    yield
    for h in list(log.handlers):
        if h not in saved[0]:
            log.removeHandler(h)
            h.close()
    log.propagate, log.level = saved[1], saved[2]
