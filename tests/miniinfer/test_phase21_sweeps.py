"""Phase 21 sampling labs on the shipped grammar checkpoint, at smoke size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lynx_cortex.runner import run_lab
from minicorpus.framing import correction_of
from miniinfer.labs.phase21_sweeps import (
    KS,
    PS,
    TAUS,
    EntropyRecorder,
    probe_rows,
)
from miniinfer.sampling import Temperature


@pytest.fixture(autouse=True)
def _smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")


def test_correction_is_the_text_before_the_next_separator() -> None:
    assert correction_of("written<|sep|>escrito") == "written"
    assert correction_of("<|sep|>") == ""
    assert correction_of("writt") is None  # never closed: counted as wrong


def test_probe_rows_are_spread_and_carry_targets() -> None:
    rows = probe_rows(5)
    assert len({r.sentence for r in rows}) == 5
    assert all(r.target for r in rows)
    with pytest.raises(ValueError, match="n_prompts"):
        probe_rows(0)


def test_entropy_recorder_samples_like_its_strategy() -> None:
    z = np.array([2.0, 1.0, 0.0, -1.0])
    plain_rng = np.random.default_rng(3)
    plain = [Temperature(1.0)(z, plain_rng) for _ in range(20)]
    recorder = EntropyRecorder(Temperature(1.0))
    rng = np.random.default_rng(3)
    wrapped = [recorder(z, rng) for _ in range(20)]
    assert wrapped == plain
    p = np.exp(z) / np.exp(z).sum()
    assert recorder.total / recorder.tokens == pytest.approx(float(-(p * np.log(p)).sum()))


def test_temperature_sweep(tmp_path: Path) -> None:
    record = run_lab("21-temperature-sweep", out=tmp_path / "run", seed=0)
    table = record.results["table"]
    assert list(table) == [f"tau={t}" for t in TAUS]
    for row in table.values():
        assert 0.0 <= row["accuracy"] <= 1.0
        assert 1.0 <= row["distinct_per_prompt"] <= 4.0
    # Colder sampling is more repetitive and lower in entropy than hot sampling.
    assert table["tau=0.2"]["distinct_per_prompt"] <= table["tau=1.5"]["distinct_per_prompt"]
    assert table["tau=0.2"]["mean_entropy"] < table["tau=1.5"]["mean_entropy"]
    assert (tmp_path / "run" / "temperature_sweep.png").stat().st_size > 0


def test_diversity_vs_accuracy(tmp_path: Path) -> None:
    record = run_lab("21-diversity-vs-accuracy", out=tmp_path / "run", seed=0)
    table = record.results["table"]
    assert set(table) == {f"top-k={k}" for k in KS} | {f"top-p={p}" for p in PS}
    # top-k = 1 is greedy: one output per prompt, zero entropy.
    assert table["top-k=1"]["distinct_per_prompt"] == 1.0
    assert table["top-k=1"]["mean_entropy"] == pytest.approx(0.0, abs=1e-12)
    assert table["top-k=1"]["distinct_per_prompt"] <= table["top-p=1.0"]["distinct_per_prompt"]
    assert all(0.0 <= row["accuracy"] <= 1.0 for row in table.values())
    assert (tmp_path / "run" / "diversity_vs_accuracy.png").stat().st_size > 0
