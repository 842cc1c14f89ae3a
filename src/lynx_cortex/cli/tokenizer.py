"""`lynx tokenizer train|encode|decode`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from lynx_cortex.artifacts import artifacts_dir, register
from lynx_cortex.cli._common import CONTEXT, OUT_DIR
from lynx_cortex.errors import LynxError
from lynx_cortex.paths import data_dir

if TYPE_CHECKING:
    from minitoken import BPETokenizer


def _load(directory: Path | None) -> BPETokenizer:
    """The tokenizer in `directory`, or the shipped one after checking its hashes."""
    from minitoken import BPETokenizer
    from minitoken.shipped import load_shipped

    return load_shipped() if directory is None else BPETokenizer.load(directory)


tokenizer_option = click.option(
    "--tokenizer",
    "directory",
    type=click.Path(path_type=Path),
    help="Tokenizer folder (default: the shipped artifacts/tokenizer/, hash-checked).",
)


@click.group("tokenizer", context_settings=CONTEXT)
def group() -> None:
    """The byte-level BPE tokenizer (phase 11)."""


@group.command("train")
@click.option("--vocab-size", type=click.IntRange(260, 65536), default=1024, show_default=True)
@click.option(
    "--corpus", type=click.Path(path_type=Path), help="Corpus folder or JSONL file (default data/)."
)
@click.option(
    "--languages", default="en,es", show_default=True, help="Which sides of the corpus to train on."
)
@click.option(
    "--out",
    type=OUT_DIR,
    required=True,
    help="Folder for merges.txt, vocab.json, config.json.",
)
@click.option(
    "--ship", is_flag=True, help="Also record the files' sha256 in artifacts/MANIFEST.json."
)
@click.option("--verbose", is_flag=True, help="Show a progress bar.")
def train(
    vocab_size: int, corpus: Path | None, languages: str, out: Path, ship: bool, verbose: bool
) -> None:
    """Train a tokenizer on the corpus and save it to OUT."""
    from minitoken import BPETokenizer
    from minitoken.corpus_text import load_corpus_text

    text = load_corpus_text(
        corpus or data_dir(), languages=[s.strip() for s in languages.split(",") if s.strip()]
    )
    start = time.perf_counter()
    tokenizer = BPETokenizer().train(text, vocab_size, verbose=verbose)
    seconds = time.perf_counter() - start
    directory = tokenizer.save(out)
    if ship:
        try:
            register([directory / name for name in ("merges.txt", "vocab.json", "config.json")])
        except ValueError:
            raise LynxError(f"--ship needs --out inside {artifacts_dir()}") from None
    click.echo(
        f"{len(text)} lines, {tokenizer.vocab_size} tokens, {len(tokenizer.merges)} merges in {seconds:.2f} s"
    )
    click.echo(str(directory))


@group.command("encode")
@tokenizer_option
@click.option("--show", is_flag=True, help="Print each token's text instead of its id.")
@click.option(
    "--allow-special",
    is_flag=True,
    help="Turn special-token text such as <|sep|> into its id, as framing code does (default: plain text).",
)
@click.argument("text")
def encode(directory: Path | None, show: bool, allow_special: bool, text: str) -> None:
    """Print the token ids of TEXT."""
    tokenizer = _load(directory)
    try:
        ids = tokenizer.encode(text, allowed_special="all" if allow_special else frozenset())
    except ValueError as exc:  # a lone surrogate (bytes the terminal could not decode)
        raise LynxError(f"TEXT: {exc}") from None
    if show:
        vocab = tokenizer.vocab
        click.echo(" ".join(f"[{vocab.display(i)}]" for i in ids))
    else:
        click.echo(" ".join(str(i) for i in ids))


@group.command("decode", short_help="Print the text of token IDS.")
@tokenizer_option
@click.argument("ids", nargs=-1, required=True)
def decode(directory: Path | None, ids: tuple[str, ...]) -> None:
    """Print the text of token IDS (space- or comma-separated integers)."""
    tokens: list[int] = []
    for chunk in ids:
        for part in chunk.replace(",", " ").split():
            if not part.lstrip("-").isdigit():
                raise LynxError(f"token ids must be integers, got {part!r}")
            tokens.append(int(part))
    try:
        click.echo(_load(directory).decode(tokens))
    except ValueError as exc:
        raise LynxError(str(exc)) from exc
