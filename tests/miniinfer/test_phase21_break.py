"""Break 21 at smoke size: the shipped grammar checkpoint, sampled with top-p 1.0, 0.95 and 0.5."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lynx_cortex.runner import run_break
from miniinfer.labs.phase21_break import Recorder
from miniinfer.sampling import Greedy, TopP


def test_recorder_flags_exactly_the_tokens_outside_the_nucleus() -> None:
    logits = np.log(np.array([0.6, 0.3, 0.06, 0.04]))  # nucleus 0.95 = the first three (0.96)
    rec = Recorder(Greedy())
    assert rec(logits, np.random.default_rng(0)) == 0
    assert rec.tail == 0 and rec.nll == pytest.approx(-np.log(0.6))
    always_last = Recorder(lambda z, rng: 3)
    always_last(logits, np.random.default_rng(0))
    assert always_last.tail == 1
    nucleus = Recorder(TopP(0.95))
    rng = np.random.default_rng(1)
    picks = [nucleus(logits, rng) for _ in range(300)]
    assert 3 not in picks and nucleus.tail == 0


@pytest.mark.slow  # samples the shipped checkpoint 3 × 36 times
def test_break_21_top_p_one_samples_the_tail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")
    record = run_break(21, out=tmp_path / "run")
    healthy, broken = record.outcome.healthy, record.outcome.broken
    assert record.outcome.detected
    assert healthy["tail_rate"] == 0.0 and healthy["top_p_0.5"]["tail_rate"] == 0.0
    assert 0.0 < broken["tail_rate"] < 0.25  # the tail holds 5 % of the mass at every step
    assert healthy["top_p_0.5"]["mean_nll"] <= healthy["mean_nll"] < broken["mean_nll"]
    assert (record.out_dir / "top_p_table.png").read_bytes()[:4] == b"\x89PNG"
