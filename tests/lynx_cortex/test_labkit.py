from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from lynx_cortex.errors import LynxError
from lynx_cortex.labkit import (
    MODE_ENV,
    interleaved_seconds,
    jsonable,
    lab_mode,
    paired_median_ratio,
    settings,
)
from lynx_cortex.registry import LabContext


def test_lab_mode_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(MODE_ENV, raising=False)
    assert lab_mode() == "default"
    monkeypatch.setenv(MODE_ENV, "smoke")
    ctx = LabContext(out_dir=tmp_path, seed=1)
    chosen = settings(ctx, {"smoke": {"n": 1}, "default": {"n": 2}})
    assert chosen == {"n": 1} and ctx.config == {"mode": "smoke", "n": 1}
    monkeypatch.setenv(MODE_ENV, "full")
    fresh = LabContext(out_dir=tmp_path, seed=1)
    assert settings(fresh, {"default": {"n": 2}}) == {
        "n": 2
    }  # no full variant: fall back to default
    monkeypatch.setenv(MODE_ENV, "huge")
    with pytest.raises(LynxError, match="LYNX_LAB_MODE"):
        lab_mode()


def test_explicit_config_wins_over_the_mode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(MODE_ENV, "smoke")
    ctx = LabContext(out_dir=tmp_path, seed=1, config={"n": 7, "unrelated": True})
    assert settings(ctx, {"smoke": {"n": 1, "m": 3}, "default": {"n": 2, "m": 4}}) == {
        "n": 7,
        "m": 3,
    }
    assert ctx.config == {"mode": "smoke", "n": 7, "m": 3, "unrelated": True}


def test_jsonable_makes_strict_json() -> None:
    data = {"a": math.nan, "b": [np.float32(1.5), -math.inf], "c": np.arange(3), 4: (math.inf,)}
    out = jsonable(data)
    assert out == {"a": "nan", "b": [1.5, "-inf"], "c": [0, 1, 2], "4": ["inf"]}
    json.dumps(out, allow_nan=False)


def test_cli_mode_option_and_bad_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from lynx_cortex.cli import cli

    monkeypatch.setenv("LYNX_EXPERIMENTS_DIR", str(tmp_path))
    monkeypatch.setenv(MODE_ENV, "nonsense")
    bad = CliRunner().invoke(cli, ["lab", "run", "41-srs-simulation"])
    assert bad.exit_code == 2 and "is not a lab mode" in bad.output
    good = CliRunner().invoke(cli, ["lab", "run", "41-srs-simulation", "--mode", "smoke"])
    assert good.exit_code == 0, good.output
    manifest = json.loads(
        (Path(good.output.strip().splitlines()[-1]) / "manifest.json").read_text()
    )
    assert manifest["config"]["mode"] == "smoke" and manifest["config"]["learners"] == 3


def test_sides_take_turns_round_by_round() -> None:
    calls: list[str] = []
    seconds = interleaved_seconds(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, 3
    )
    assert calls == ["a", "b"] * 3
    assert {k: len(v) for k, v in seconds.items()} == {"a": 3, "b": 3}
    assert all(t >= 0.0 for times in seconds.values() for t in times)


def test_the_paired_ratio_is_the_median_of_per_round_ratios() -> None:
    # per-round ratios 2, 3, 100: the one slowed round does not move the median; the ratio of medians would
    # be 4 / 1 = 4 here, so the pairing is what the value shows
    assert paired_median_ratio([2.0, 6.0, 4.0], [1.0, 2.0, 0.04]) == 3.0
    with pytest.raises(ValueError, match="same"):
        paired_median_ratio([1.0], [1.0, 2.0])
