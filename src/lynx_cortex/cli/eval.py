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
@click.option(
    "--task",
    type=click.Choice(["probes", "correction", "tutor"]),
    default="probes",
    show_default=True,
    help="probes: the phase-20 probe sets and perplexity. correction: correct, name and translate the "
    "tutor set's held-out sentences. tutor: the grammar tutor end to end, with its ablation.",
)
@click.option(
    "--split",
    type=click.Choice(["frames", "keys", "heldout-verbs"]),
    default="frames",
    show_default=True,
    help="correction: the tutor split whose test part is scored (keys/heldout-verbs are experiments).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, None),
    help="correction: score only the first N test sentences. tutor: the first N rows of each set "
    "(default 400).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="correction, tutor: end with one JSON line of the headline.",
)
def eval_command(
    checkpoint: Path,
    out: Path | None,
    compare: Path | None,
    task: str,
    split: str,
    limit: int | None,
    as_json: bool,
) -> None:
    """Evaluate CHECKPOINT and write its report folder.

    \b
    --task probes (default): leak-check the probes, score them, measure val/test perplexity; writes
      results.json, per_slice.csv/png, reliability.png and REPORT.md (and COMPARE.md with --compare).
    --task tutor: run the grammar tutor (model from CHECKPOINT, which must be the shipped
      artifacts/checkpoints/grammar) on learners dev/test and the corpus test split; prints accuracy,
      declines, the two hard zeros, latency and the ablation table; writes tutor.json and TUTOR.md.
      Exits 1 if a correction contradicts the table or a citation was not retrieved.
    --task correction: greedy-decode every test sentence of the tutor split, score exact correction,
      unchanged correct sentences, error code and Spanish with Wilson intervals, per error type, verb
      class and tense; prints the table and writes correction.json and CORRECTION.md.

    CHECKPOINT is a `lynx train` run folder (its best/ weights are used), a checkpoint/ or best/ folder,
    or a shipped one such as artifacts/checkpoints/grammar.
    """
    if task == "tutor":
        if compare is not None or split != "frames":
            raise LynxError("--compare and --split do not apply to --task tutor")
        _tutor(checkpoint, out, limit=limit, as_json=as_json)
        return
    if task == "correction":
        _correction(checkpoint, out, split=split, limit=limit, as_json=as_json, compare=compare)
        return
    if as_json or limit is not None:
        raise LynxError("--json and --limit apply to --task correction and --task tutor")
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


def _correction(
    checkpoint: Path,
    out: Path | None,
    *,
    split: str,
    limit: int | None,
    as_json: bool,
    compare: Path | None,
) -> None:
    from minieval.checkpoint_eval import EvalInputError
    from minieval.correction import render_table
    from minieval.correction_eval import (
        evaluate_checkpoint_correction,
        headline_json,
        write_correction_eval,
    )

    if compare is not None:
        raise LynxError("--compare applies to --task probes")
    name = checkpoint.resolve().name
    try:
        results = evaluate_checkpoint_correction(checkpoint, split=split, limit=limit)
    except EvalInputError as exc:
        raise LynxError(str(exc)) from exc
    folder = out if out is not None else experiments_dir() / "eval" / name
    paths = write_correction_eval(results, folder, checkpoint_name=name)
    click.echo("\n".join(render_table(results, title=f"{results['split']} split")))
    click.echo(f"\nwrote {', '.join(str(p) for p in paths)}")
    if as_json:
        click.echo(headline_json(results))


def _tutor(checkpoint: Path, out: Path | None, *, limit: int | None, as_json: bool) -> None:
    """The tutor loads its model by shipped name (sha256-checked against the manifest), so only the shipped
    grammar checkpoint is accepted: anything else is refused before minutes of work."""
    import json

    from miniagent.tutor.model import SHIPPED
    from miniagent.tutor.report import (
        DEFAULT_FRAMES,
        evaluate_tutor,
        render_tables,
        tutor_sets,
        write_tutor_eval,
    )
    from miniagent.tutor.tutor import GrammarTutor
    from minimodel.shipped import shipped_dir

    if checkpoint.resolve() != shipped_dir(SHIPPED).resolve():
        raise LynxError(
            f"--task tutor evaluates the shipped tutor model only: CHECKPOINT must be "
            f"{shipped_dir(SHIPPED)}, not {checkpoint}"
        )
    results = evaluate_tutor(GrammarTutor(), tutor_sets(limit or DEFAULT_FRAMES))
    folder = out if out is not None else experiments_dir() / "eval" / SHIPPED
    paths = write_tutor_eval(results, folder, checkpoint_name=SHIPPED)
    click.echo("\n".join(render_tables(results)))
    click.echo(f"\nwrote {', '.join(str(p) for p in paths)}")
    if as_json:
        headline = {
            s["set"]: {k: s[k] for k in ("end_to_end", "contradictions", "hallucinated_citations")}
            for s in results["sets"]
        }
        click.echo(json.dumps({"passed": results["passed"], "sets": headline}, sort_keys=True))
    if not results["passed"]:
        raise SystemExit(1)
