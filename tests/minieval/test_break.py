"""Break 20 at smoke size: training-set probes inflate accuracy and the leak check catches them."""

from __future__ import annotations

from pathlib import Path

import pytest

from lynx_cortex.paths import data_dir
from lynx_cortex.runner import run_break
from minicorpus.rows import read_jsonl
from minieval.labs.phase20_break import corpus_probes


@pytest.fixture(autouse=True)
def _smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")


def test_corpus_probes_blank_the_verb_group() -> None:
    rows = list(read_jsonl(data_dir() / "processed" / "test.jsonl"))
    probes = corpus_probes(rows, "test")
    assert probes and all(p.prompt.endswith(" ___") for p in probes)
    for p in probes:
        assert p.expected in p.candidates and len(p.candidates) >= 3
        assert list(p.candidates) == sorted(p.candidates)  # the answer has no positional advantage


def test_eval_on_train_is_inflated_and_detected(tmp_path: Path) -> None:
    record = run_break(20, out=tmp_path / "break")
    outcome = record.outcome
    assert outcome.detected
    assert outcome.broken["leak_detected"] and not outcome.healthy["leak_detected"]
    assert outcome.broken["accuracy"] > outcome.healthy["accuracy"] + 0.25
    assert "occurs in train:" in outcome.broken["leak_check"]
