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
@click.option(
    "--split",
    "tutor_split",
    type=click.Choice(["frames", "keys", "heldout-verbs"]),
    help="Tutor split to train on (grammar config; default frames). keys/heldout-verbs are experiments.",
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
    tutor_split: str | None,
    quiet: bool,
    ship: bool,
) -> None:
    """Train MiniGPT on the framed corpus; write checkpoint/, metrics.jsonl, dashboard.html, summary.json."""
    from minimodel.shipped import reproduce_command, shipped_dir
    from minitrain.run import CHECKPOINT, train_run
    from minitrain.shipped import ship_run

    if tutor_split is not None and config_name != "grammar":
        raise LynxError("--split applies to --config grammar, which trains on the tutor set")
    if tutor_split not in (None, "frames") and ship:
        raise LynxError(
            "--ship takes a frames-split run: the generalisation splits are experiments"
        )
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
            config_name,
            folder,
            steps=steps,
            resume=resume is not None,
            progress=not quiet,
            overrides=None if tutor_split is None else {"tutor_split": tutor_split},
        )
    except (ValueError, FileNotFoundError) as exc:
        raise LynxError(str(exc)) from exc
    if "beats_baseline" in summary:
        verdict = "beats" if summary["beats_baseline"] else "does NOT beat"
        click.echo(
            f"val perplexity {summary['val_perplexity']:.2f} (step {summary['best_step']}) {verdict} the "
            f"n-gram baseline's {summary['ngram_val_perplexity']:.2f}; run folder {folder}"
        )
    else:
        click.echo(
            f"target-side val perplexity {summary['val_perplexity']:.3f} (step {summary['best_step']}); "
            f"score it with `lynx eval {folder} --task correction`; run folder {folder}"
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
    "sample",
    context_settings=CONTEXT,
    short_help="Correct a sentence (or continue a prompt) with a model.",
)
@click.argument("first", metavar="[CHECKPOINT]")
@click.argument("second", metavar="SENTENCE", required=False)
@click.option("--max-new-tokens", type=click.IntRange(1, 512), default=64, show_default=True)
@click.option(
    "--raw", is_flag=True, help="Print the continuation as the model wrote it, markers included."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print prompt, ids, continuation and fields as JSON."
)
def sample(first: str, second: str | None, max_new_tokens: int, raw: bool, as_json: bool) -> None:
    """Correct SENTENCE greedily with the model in CHECKPOINT (a run folder, or its checkpoint/ or best/).

    \b
    The model is prompted with  <|endoftext|>SENTENCE<|sep|>  and writes
      CORRECTION<|sep|>ERROR_CODE<|sep|>SPANISH<|endoftext|>
    (ERROR_CODE is `none` for a correct sentence); this prints the three fields, one per line.
    SENTENCE is plain text: marker text typed into it is not a control token.
    Without CHECKPOINT, the shipped `grammar` checkpoint is used after its sha256 have been verified.

    \b
    Example:  lynx sample "Yesterday she goed to the market."
    """
    from minicorpus.framing import BOS, parse_answer
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
        raise LynxError("the sentence is empty")
    tokenizer = load_tokenizer()
    try:
        ids = prompt_ids(tokenizer, prompt)
    except ValueError as exc:  # a lone surrogate (bytes the terminal could not decode)
        raise LynxError(f"SENTENCE: {exc}") from None
    room = model.config.context_len - len(ids)
    if room < 1:
        raise LynxError(
            f"SENTENCE is {len(ids)} tokens with its markers; the model reads at most "
            f"{model.config.context_len - 1}"
        )
    new = generate(
        model,
        ids,
        max_new_tokens=min(max_new_tokens, room),
        strategy=Greedy(),
        seed=0,  # greedy draws nothing; the seed only completes the call
        stop_ids=tokenizer.encode(BOS, allowed_special={BOS}),
    )
    text = tokenizer.decode(new)
    answer = parse_answer(text)
    if as_json:
        fields = {
            "correction": answer.correction,
            "error_code": answer.error_code,
            "spanish": answer.spanish,
        }
        click.echo(
            json.dumps(
                {"prompt": prompt, "ids": new, "continuation": text, **fields}, ensure_ascii=False
            )
        )
    elif raw or answer.correction is None:
        click.echo(text)
    else:
        missing = "(not finished within the token budget)"
        click.echo(f"correction: {answer.correction}")
        click.echo(f"error:      {answer.error_code if answer.error_code is not None else missing}")
        click.echo(f"spanish:    {answer.spanish if answer.spanish is not None else missing}")
