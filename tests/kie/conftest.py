"""The KIE workflow tests (ppocr/kie/) run their tiny models on one thread; fixtures are in tests/conftest.py."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
