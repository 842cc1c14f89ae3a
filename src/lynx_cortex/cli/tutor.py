"""`lynx tutor`: correct one English sentence with the grammar tutor (issue 21; DESIGN §9)."""

from __future__ import annotations

import json

import click

from lynx_cortex.cli._common import CONTEXT
from lynx_cortex.errors import LynxError

MAX_CHARS = 280


def _check(sentence: str) -> None:
    """The CLI's own refusals: what the tutor never sees (the tutor declines the rest politely)."""
    if not sentence.strip():
        raise LynxError("the sentence is empty")
    if len(sentence) > MAX_CHARS:
        raise LynxError(
            f"the sentence is {len(sentence)} characters; the tutor reads at most {MAX_CHARS}"
        )
    if "\x00" in sentence or any(ord(c) < 32 and c not in "\t\n\r" for c in sentence):
        raise LynxError("the sentence contains control characters")
    try:
        sentence.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LynxError(f"the sentence is not valid text ({exc.reason})") from None


@click.command("tutor", context_settings=CONTEXT, short_help="Correct an English sentence (EN/ES).")
@click.argument("sentence")
@click.option("--json", "as_json", is_flag=True, help="Print DESIGN §9's JSON object.")
@click.option(
    "--explain", is_flag=True, help="Also print why, in English and Spanish, with the cited rule."
)
@click.option("--trace", is_flag=True, help="Also print the parse, tool calls and who decided.")
def tutor(sentence: str, as_json: bool, explain: bool, trace: bool) -> None:
    """Correct SENTENCE's verb (20 verbs, singular subjects, five tenses) and translate it to Spanish.

    \b
    The shipped model proposes a correction; the truth table decides: a correction the table contradicts is
    never printed. Plural subjects, other verbs, the continuous, questions, other languages: a polite decline.

    \b
    Examples:  lynx tutor "Yesterday she goed to the market."
               lynx tutor --json "my brother eat pizza every day"
    """
    from miniagent.tutor.tutor import GrammarTutor

    _check(sentence)
    result = GrammarTutor().correct(sentence)
    if as_json:
        click.echo(json.dumps(result.to_json(trace=trace), ensure_ascii=False))
        return
    if not result.in_scope:
        click.echo(f"out of scope: {result.explanation['en']}")
        click.echo(f"fuera de alcance: {result.explanation['es']}")
    elif result.was_correct:
        click.echo(f"correct:    {result.correction}")
    else:
        click.echo(f"correction: {result.correction}")
        click.echo(
            f"error:      {result.error_type} ({result.verb}, {result.tense}, {result.person})"
        )
    if result.in_scope:
        click.echo(f"spanish:    {result.spanish_translation}")
    if explain and result.in_scope:
        click.echo(f"why:        {result.explanation['en']}")
        click.echo(f"por qué:    {result.explanation['es']}")
        click.echo(f"cited:      {', '.join(result.cited_chunks)}")
    if trace:
        for step in result.trace:
            click.echo(f"trace: {json.dumps(step, ensure_ascii=False)}")
