"""What the CLI says: summaries that fit an 80-column `--help`, and an eval report header with real values."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from lynx_cortex.cli import cli
from lynx_cortex.paths import project_root
from minieval.checkpoint_eval import load_checkpoint
from minieval.report import header_lines

#: Widest summary that click shows whole in the command list of an 80-column terminal (the longest
#: command name, `create-admin`, leaves 60 columns; a few spare for the indent).
SUMMARY_WIDTH = 55


def _commands(group: click.Group, prefix: str = "lynx") -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(group, info_name=prefix)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        yield f"{prefix} {name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix} {name}")


@pytest.mark.parametrize(("path", "command"), list(_commands(cli)), ids=lambda x: str(x))
def test_every_summary_fits_unabridged(path: str, command: click.Command) -> None:
    whole = command.get_short_help_str(limit=10_000)
    assert command.get_short_help_str(limit=SUMMARY_WIDTH) == whole, (
        f"`{path}` shows as {command.get_short_help_str(limit=SUMMARY_WIDTH)!r} in its group's "
        "--help: give it a short_help"
    )
    assert whole.count("(") == whole.count(")"), (
        f"`{path}`'s summary is cut mid-parenthesis: {whole!r}"
    )


SHIPPED = project_root() / "artifacts" / "checkpoints" / "grammar"


def test_the_shipped_checkpoint_reports_its_best_step_and_seed() -> None:
    summary = json.loads((SHIPPED / "summary.json").read_text())
    loaded = load_checkpoint(SHIPPED)
    assert (loaded.step, loaded.seed) == (summary["best_step"], summary["seed"]) == (1400, 42)


def test_a_full_checkpoint_reports_the_trainer_state(tmp_path: Path) -> None:
    folder = shutil.copytree(SHIPPED, tmp_path / "ckpt")
    (folder / "summary.json").unlink()
    state = json.loads((folder / "state.json").read_text())
    state["trainer"] = {"step": 7, "config": {"seed": 3}}
    (folder / "state.json").write_text(json.dumps(state))
    loaded = load_checkpoint(folder)
    assert (loaded.step, loaded.seed) == (7, 3)
    del state["trainer"]
    (folder / "state.json").write_text(json.dumps(state))
    assert (load_checkpoint(folder).step, load_checkpoint(folder).seed) == (None, None)


def test_the_report_header_never_prints_none() -> None:
    meta = {"checkpoint_sha256": "ab" * 32, "step": None, "seed": 42}
    header = header_lines(meta, checkpoint_name="grammar", eval_date="2026-01-02")
    assert "- **Training step:** n/a" in header and "- **Seed:** 42" in header
    assert "- **Probe set sha256:** n/a" in header and not any("None" in line for line in header)
