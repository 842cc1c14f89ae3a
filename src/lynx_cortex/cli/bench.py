"""`lynx bench`: the performance figures side by side with their references (`lynx_cortex.bench`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from lynx_cortex.cli._common import CONTEXT, OUT_DIR, SEED
from lynx_cortex.runner import DEFAULT_SEED


@click.command("bench", context_settings=CONTEXT, short_help="Run every side-by-side benchmark.")
@click.option(
    "--quick", is_flag=True, help="Smoke-sized runs (a few minutes) instead of the full figures."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--out", type=OUT_DIR, help="Output folder (default experiments/bench/<stamp>/).")
@click.option(
    "--baseline",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An earlier bench.json: its figures become the table's 'before' column.",
)
@click.option(
    "--lab", "labs", multiple=True, metavar="ID", help="Only this benchmark lab (repeatable)."
)
@click.option(
    "--seed", type=SEED, default=DEFAULT_SEED, show_default=True, help="Seed for every RNG."
)
def bench(
    quick: bool,
    as_json: bool,
    out: Path | None,
    baseline: Path | None,
    labs: tuple[str, ...],
    seed: int,
) -> None:
    """Run the benchmark labs and write bench.json and BENCHMARKS.md; the folder is the last line."""
    from lynx_cortex.bench import load_baseline, run_bench, write_report
    from lynx_cortex.paths import experiments_dir
    from lynx_cortex.runner import target_dir

    before = load_baseline(baseline) if baseline is not None else None
    target = target_dir(out, experiments_dir() / "bench")
    summary = run_bench(target, quick=quick, seed=seed, labs=labs or None)
    report = write_report(target, summary, before)
    if as_json:
        click.echo(json.dumps(summary, sort_keys=True))
    else:
        click.echo(report.read_text(encoding="utf-8"))
        click.echo(str(target))
