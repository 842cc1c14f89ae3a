"""`lynx break list|run`: each phase's break, healthy and broken side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from lynx_cortex.catalog import index
from lynx_cortex.cli._common import (
    CONTEXT,
    EXIT_FAILED_CHECK,
    OUT_DIR,
    PHASE,
    SEED,
    mode_option,
)
from lynx_cortex.runner import DEFAULT_SEED, run_break


@click.group(
    "break",
    context_settings=CONTEXT,
    short_help="Break one thing on purpose and watch the symptom.",
)
def group() -> None:
    """Breaks: deliberately break one thing and watch the symptom appear."""


@group.command("list")
def list_breaks() -> None:
    """List the phases that have a runnable break."""
    for item in index().breaks:
        click.echo(f"{item.phase:02d}  {item.title}")


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@group.command("run", short_help="Run a phase's break; exit 1 if no symptom shows.")
@click.argument("phase", type=PHASE)
@click.option(
    "--out",
    type=OUT_DIR,
    help="Output folder (default experiments/break-NN/<stamp>/).",
)
@click.option(
    "--seed", type=SEED, default=DEFAULT_SEED, show_default=True, help="Seed for every RNG."
)
@mode_option
def run(phase: int, out: Path | None, seed: int) -> None:
    """Run phase NN's break; exits 1 if the expected symptom did not show up."""
    record = run_break(phase, out=out, seed=seed)
    outcome = record.outcome
    click.echo(f"change: {record.results['change']}")
    keys = list(dict.fromkeys([*outcome.healthy, *outcome.broken]))
    width = max((len(k) for k in keys), default=0)
    click.echo(f"{'':<{width}}  healthy | broken")
    for key in keys:
        healthy, broken = (
            outcome.healthy.get(key, "<missing>"),
            outcome.broken.get(key, "<missing>"),
        )
        click.echo(f"{key:<{width}}  {_show(healthy)} | {_show(broken)}")
    click.echo(f"symptom: {outcome.symptom}")
    click.echo(f"verdict: {'DETECTED' if outcome.detected else 'NOT DETECTED'}")
    click.echo(str(record.out_dir))
    if not outcome.detected:
        raise click.exceptions.Exit(EXIT_FAILED_CHECK)
