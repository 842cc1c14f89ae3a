"""`lynx eval`: evaluate a trained checkpoint on the probe sets and write its report folder (phase 20)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from lynx_cortex.cli._common import CONTEXT, OUT_DIR
from lynx_cortex.errors import LynxError
from lynx_cortex.paths import experiments_dir


@click.command(
    "eval", context_settings=CONTEXT, short_help="Evaluate a checkpoint and write its report."
)
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=OUT_DIR,
    help="Report folder (default experiments/eval/CHECKPOINT-NAME).",
)
@click.option(
    "--compare",
    type=click.Path(path_type=Path),
    help="Also write COMPARE.md against B: a report folder, a results.json or another checkpoint.",
)
def eval_command(checkpoint: Path, out: Path | None, compare: Path | None) -> None:
    """Leak-check the probes, score them with CHECKPOINT, measure val/test perplexity, write the report.

    CHECKPOINT is a `lynx train` run folder (its best/ weights are used), or a checkpoint/ or best/ folder.
    Writes results.json, per_slice.csv/png, reliability.png and REPORT.md (and COMPARE.md with --compare).
    """
    from minieval.checkpoint_eval import RESULTS, EvalInputError, read_results, write_eval

    try:
        if compare is not None and (compare.is_file() or (compare / RESULTS).is_file()):
            read_results(compare)  # a bad results file fails now, not after the whole evaluation
        elif compare is not None and not compare.is_dir():
            raise EvalInputError(f"--compare {compare} does not exist")
    except EvalInputError as exc:
        raise LynxError(str(exc)) from exc
    folder = out if out is not None else experiments_dir() / "eval" / checkpoint.resolve().name
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    try:
        paths = write_eval(checkpoint, folder, compare=compare, eval_date=date)
    except EvalInputError as exc:
        raise LynxError(str(exc)) from exc
    results = folder / "results.json"
    click.echo(f"wrote {len(paths)} files to {folder} (results: {results})")
