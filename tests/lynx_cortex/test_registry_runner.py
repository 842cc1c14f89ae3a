from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lynx_cortex import registry
from lynx_cortex.catalog import plugin_modules
from lynx_cortex.errors import LynxError
from lynx_cortex.registry import BreakOutcome, LabContext, parse_phase
from lynx_cortex.runner import execute, run_break, run_lab


def test_lab_ids_are_validated() -> None:
    with pytest.raises(ValueError, match="two-digit phase"):
        registry.lab("7-bad", title="x")


def test_duplicate_registration_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_LABS", {})

    def first(ctx: LabContext) -> dict[str, Any]:
        return {}

    def second(ctx: LabContext) -> dict[str, Any]:
        return {}

    registry.lab("99-dup", title="a")(first)
    registry.lab("99-dup", title="a")(first)  # re-import of the same function is fine
    with pytest.raises(ValueError, match="registered twice"):
        registry.lab("99-dup", title="b")(second)


@pytest.mark.parametrize(
    ("text", "number"), [("7", 7), ("07", 7), ("phase-07", 7), ("41", 41), ("0", 0)]
)
def test_parse_phase(text: str, number: int) -> None:
    assert parse_phase(text) == number


@pytest.mark.parametrize("text", ["42", "-1", "x", "", "7.5"])
def test_parse_phase_rejects(text: str) -> None:
    with pytest.raises(LynxError):
        parse_phase(text)


def test_discovery_finds_phase_00() -> None:
    assert "lynx_cortex.labs" in plugin_modules()
    assert "00-env-check" in {lab.id for lab in registry.all_labs()}
    assert 0 in {b.phase for b in registry.all_breaks()}


def test_failed_run_leaves_nothing_behind(tmp_path: Path) -> None:
    def explode(ctx: LabContext) -> dict[str, Any]:
        ctx.path("half.txt").write_text("half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        execute("explode", tmp_path / "run", 1, explode)
    assert list(tmp_path.iterdir()) == []


def test_execute_hashes_every_file_and_seeds_rng(tmp_path: Path) -> None:
    def body(ctx: LabContext) -> dict[str, Any]:
        ctx.path("plots/a.png").write_bytes(b"png")
        ctx.config["size"] = 3
        return {"draw": float(ctx.rng.random())}

    one = execute("demo", tmp_path / "one", 5, body)
    two = execute("demo", tmp_path / "two", 5, body)
    assert one.results == two.results
    manifest = json.loads((one.out_dir / "manifest.json").read_text())
    assert set(manifest["artifacts"]) == {"plots/a.png", "results.json"}
    assert manifest["config"] == {"name": "demo", "size": 3}


def test_default_output_is_time_stamped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_EXPERIMENTS_DIR", str(tmp_path))
    a = run_lab("00-env-check")
    b = run_lab("00-env-check")
    assert a.out_dir.parent == b.out_dir.parent == tmp_path / "00-env-check"
    assert a.out_dir != b.out_dir


def test_break_outcome_is_plain_data() -> None:
    outcome = BreakOutcome(healthy={"a": 1}, broken={"a": 2}, symptom="s", detected=True)
    assert outcome.detected and outcome.broken["a"] == 2


def test_a_break_sees_the_config_it_was_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "_BREAKS", {})

    def sized(ctx: LabContext) -> BreakOutcome:
        size = ctx.config.get("size", 1)
        return BreakOutcome(healthy={"size": size}, broken={}, symptom="", detected=True)

    registry.breaks(40, title="config reaches the break", change="nothing")(sized)
    record = run_break(40, out=tmp_path / "run", config={"size": 7})
    assert record.outcome.healthy == {"size": 7}
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["config"]["size"] == 7
