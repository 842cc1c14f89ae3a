"""`lynx lab list|run`."""

from __future__ import annotations

from pathlib import Path

import click

from lynx_cortex.catalog import index
from lynx_cortex.cli._common import CONTEXT, OUT_DIR, SEED, mode_option
from lynx_cortex.runner import DEFAULT_SEED, run_lab


@click.group("lab", context_settings=CONTEXT, short_help="List and run the labs.")
def group() -> None:
    """Runnable labs: each writes manifest.json, results.json and plots under experiments/."""


@group.command("list")
@click.option("--phase", type=click.IntRange(0, 41), help="Only this phase's labs.")
def list_labs(phase: int | None) -> None:
    """List the registered labs."""
    for item in index().labs:
        if phase is None or item.phase == phase:
            click.echo(f"{item.id:<28} {item.title}")


@group.command("run", short_help="Run a lab; its output folder is the last line.")
@click.argument("lab_id", metavar="ID")
@click.option(
    "--out",
    type=OUT_DIR,
    help="Output folder (default experiments/<id>/<stamp>/).",
)
@click.option(
    "--seed", type=SEED, default=DEFAULT_SEED, show_default=True, help="Seed for every RNG."
)
@mode_option
def run(lab_id: str, out: Path | None, seed: int) -> None:
    """Run lab ID (e.g. 00-env-check); the output folder is printed as the last line."""
    record = run_lab(lab_id, out=out, seed=seed)
    click.echo(str(record.out_dir))
