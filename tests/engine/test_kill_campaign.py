"""A short kill -9 campaign (the full one is benchmarks/kill_campaign.py): rec, det and VGSL trainings killed twice
each, once at a random moment and once while a checkpoint is being written, resume from the save folder and end
with the uninterrupted run's weights, bit for bit."""
import random

import pytest

from ppocr.testing import kill_campaign as K


@pytest.mark.parametrize("kind", K.KINDS)
def test_killed_twice_resumes_to_the_uninterrupted_weights(kind, tmp_path):
    args = K.prepare(kind, str(tmp_path))
    ref = str(tmp_path / "reference")
    _, train_time = K.run_to_end(args, ref)
    t = K.trial(kind, args, f"{ref}/latest.pdparams", str(tmp_path / "trial"), random.Random(kind), train_time, kills=2)
    assert t.identical, f"{t.kills}: {t.detail}"
    assert len(t.kills) == 2 and sum("after the end" in k for k in t.kills) == 0, t.kills
