"""`lynx train` and `lynx sample`: train MiniGPT on the corpus (phase 18), continue a prompt greedily."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from lynx_cortex.cli._common import CONTEXT, OUT_DIR
from lynx_cortex.errors import LynxError
from lynx_cortex.paths import experiments_dir

SHIPPED_DEFAULT = "grammar"  # the checkpoint `lynx sample` uses when given only a prompt


@click.command("train", context_settings=CONTEXT, short_help="Train MiniGPT on the framed corpus.")
@click.option(
    "--config",
    "config_name",
    type=click.Choice(["tiny", "grammar"]),
    default="tiny",
    show_default=True,
    help="Named model + training configuration.",
)
@click.option(
    "--steps", type=click.IntRange(1, 1_000_000), help="Train for N steps instead of the default."
)
@click.option(
    "--out",
    type=OUT_DIR,
    help="Run folder (default experiments/train-CONFIG/STAMP).",
)
@click.option(
    "--resume",
    type=click.Path(path_type=Path),
    help="Continue the run in this folder from its checkpoint/ (same losses as an uninterrupted run).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--ship",
    is_flag=True,
    help="Then copy the best weights to artifacts/checkpoints/CONFIG/ and register their sha256.",
)
def train(
    config_name: str,
    steps: int | None,
    out: Path | None,
    resume: Path | None,
    quiet: bool,
    ship: bool,
) -> None:
    """Train MiniGPT on the framed corpus; write checkpoint/, metrics.jsonl, dashboard.html, summary.json."""
    from minimodel.shipped import reproduce_command, shipped_dir
    from minitrain.run import CHECKPOINT, train_run
    from minitrain.shipped import ship_run

    if resume is not None:
        if out is not None and out != resume:
            raise LynxError(
                "--out and --resume name different folders; a resumed run stays in its folder"
            )
        if not (resume / CHECKPOINT).is_dir():
            raise LynxError(f"--resume: {resume} has no {CHECKPOINT}/ folder to continue from")
        folder = resume
    else:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        folder = out if out is not None else experiments_dir() / f"train-{config_name}" / stamp
        if folder.exists() and any(folder.iterdir()):
            raise LynxError(f"--out {folder} is not empty; use --resume to continue a run there")
    try:
        summary = train_run(
            config_name, folder, steps=steps, resume=resume is not None, progress=not quiet
        )
    except (ValueError, FileNotFoundError) as exc:
        raise LynxError(str(exc)) from exc
    verdict = "beats" if summary["beats_baseline"] else "does NOT beat"
    click.echo(
        f"val perplexity {summary['val_perplexity']:.2f} (step {summary['best_step']}) {verdict} the "
        f"n-gram baseline's {summary['ngram_val_perplexity']:.2f}; run folder {folder}"
    )
    if ship:
        if resume is not None:
            raise LynxError(
                "--ship needs a fresh run (its command must reproduce it): drop --resume"
            )
        name = str(summary["config"])
        ship_run(folder, name, command=reproduce_command(name, steps))
        click.echo(f"shipped {shipped_dir(name)} (sha256 in artifacts/MANIFEST.json)")


@click.command(
    "sample", context_settings=CONTEXT, short_help="Continue a prompt with a trained model."
)
@click.argument("first", metavar="[CHECKPOINT]")
@click.argument("second", metavar="PROMPT", required=False)
@click.option("--max-new-tokens", type=click.IntRange(1, 512), default=40, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print prompt, ids and continuation as JSON.")
def sample(first: str, second: str | None, max_new_tokens: int, as_json: bool) -> None:
    """Continue PROMPT greedily with the model in CHECKPOINT (a run folder, or its checkpoint/ or best/).

    Without CHECKPOINT, the shipped `grammar` checkpoint is used after its sha256 have been verified.
    """
    from minicorpus.framing import BOS
    from minieval.checkpoint_eval import EvalInputError, load_checkpoint
    from miniinfer.generate import generate
    from miniinfer.prompting import prompt_ids
    from miniinfer.sampling import Greedy
    from minimodel.data import load_tokenizer
    from minimodel.shipped import load_shipped_model

    prompt = first if second is None else second
    if second is None:
        model = load_shipped_model(SHIPPED_DEFAULT).model  # hash-checked: damage is a LynxError
    else:
        try:  # the loader `lynx eval` uses: every corrupt, truncated or empty file is one line
            model = load_checkpoint(Path(first)).model
        except EvalInputError as exc:
            raise LynxError(str(exc)) from exc
    if not prompt.strip():
        raise LynxError("the prompt is empty")
    tokenizer = load_tokenizer()
    try:
        ids = prompt_ids(tokenizer, prompt)
    except ValueError as exc:  # a lone surrogate (bytes the terminal could not decode)
        raise LynxError(f"PROMPT: {exc}") from None
    new = generate(
        model,
        ids,
        max_new_tokens=max_new_tokens,
        strategy=Greedy(),
        seed=0,  # greedy draws nothing; the seed only completes the call
        stop_ids=tokenizer.encode(BOS, allowed_special={BOS}),
    )
    text = tokenizer.decode(new)
    if as_json:
        click.echo(
            json.dumps({"prompt": prompt, "ids": new, "continuation": text}, ensure_ascii=False)
        )
    else:
        click.echo(text)
