"""`lynx struct`: the shipped model's answer as JSON that validates against a schema (phase 30)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from lynx_cortex.cli._common import CONTEXT, EXIT_FAILED_CHECK, SEED
from lynx_cortex.errors import LynxError

SHIPPED = "grammar"


def _load_schema(spec: str) -> dict[str, Any]:
    from ministruct.schemas import NAMED_SCHEMAS

    if spec in NAMED_SCHEMAS:
        return NAMED_SCHEMAS[spec]()
    path = Path(spec)
    if not path.is_file():
        raise LynxError(
            f"--schema {spec!r} is neither a named schema {sorted(NAMED_SCHEMAS)} nor a file"
        )
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LynxError(f"{path}: not a JSON file ({exc})") from None
    if not isinstance(schema, dict):
        raise LynxError(f"{path}: a JSON Schema must be an object")
    return schema


@click.command(
    "struct", context_settings=CONTEXT, short_help="Constrained decoding: JSON that validates."
)
@click.argument("sentence")
@click.option(
    "--schema",
    "schema_spec",
    default="conjugation",
    show_default=True,
    help="A named schema or a JSON Schema file.",
)
@click.option(
    "--regex", default=None, help="Constrain the output to this regex instead of a schema."
)
@click.option(
    "--temperature",
    type=click.FloatRange(0.0, 10.0),
    default=0.0,
    show_default=True,
    help="0 is greedy.",
)
@click.option("--seed", type=SEED, default=0, show_default=True)
@click.option("--max-new-tokens", type=click.IntRange(1, 512), default=160, show_default=True)
def struct(
    sentence: str,
    schema_spec: str,
    regex: str | None,
    temperature: float,
    seed: int,
    max_new_tokens: int,
) -> None:
    """Prompt the shipped model with SENTENCE and decode under a logit mask: only output in the language.

    \b
    The model is prompted as in `lynx sample` (<|endoftext|>SENTENCE<|sep|>) and every token it may write is
    restricted to those that keep the output a prefix of a valid answer; <|endoftext|> is legal only once the
    answer is complete. The mask guarantees the syntax, not the content: this model was trained on the
    correction frame, never on JSON, so its choices among the legal values are weak (docs/phase-30).
    stdout holds only the answer; a schema answer is validated with jsonschema before it is printed.

    \b
    Examples:  lynx struct "She wrote a book."
               lynx struct "She wrote a book." --regex "[0-9]{4}"
    """
    import jsonschema

    from miniinfer.prompting import prompt_ids
    from miniinfer.sampling import Greedy, Temperature
    from minimodel.data import load_tokenizer
    from minimodel.shipped import load_shipped_model
    from ministruct.constrained import masked_generate, token_mask

    if not sentence.strip():
        raise LynxError("the sentence is empty")
    schema = None if regex is not None else _load_schema(schema_spec)
    tokenizer = load_tokenizer()
    mask = token_mask(
        regex if regex is not None else schema or {}, tokenizer
    )  # bad grammar: LynxError
    model = load_shipped_model(SHIPPED).model
    try:
        ids = prompt_ids(tokenizer, sentence)
    except ValueError as exc:
        raise LynxError(f"SENTENCE: {exc}") from None
    strategy = Greedy() if temperature == 0 else Temperature(temperature)
    out = masked_generate(
        model, mask, ids, strategy=strategy, seed=seed, max_new_tokens=max_new_tokens
    )
    if schema is not None:
        try:
            jsonschema.validate(json.loads(out.text), schema)
        except (
            json.JSONDecodeError,
            jsonschema.ValidationError,
        ) as exc:  # a mask bug: say so, print nothing
            click.echo(
                f"lynx: error: masked output did not validate ({exc}): {out.text!r}", err=True
            )
            raise SystemExit(EXIT_FAILED_CHECK) from None
    click.echo(out.text)
