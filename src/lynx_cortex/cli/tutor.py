"""`lynx tutor`: correct one English sentence with the grammar tutor (issue 21; DESIGN §9)."""

from __future__ import annotations

import json
from typing import Any

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
@click.option(
    "--trace",
    is_flag=True,
    help="Also print each agent step: thought, tool, arguments, observation.",
)
@click.option(
    "--planner",
    type=click.Choice(["rule", "model"]),
    default="rule",
    show_default=True,
    help="Who decides the next tool call: the deterministic plan, or the model under the call mask.",
)
@click.option(
    "--learner",
    metavar="NAME",
    default=None,
    help="Count this correction in the learner's memory (learners/NAME/tutor-memory.json).",
)
def tutor(
    sentence: str, as_json: bool, explain: bool, trace: bool, planner: str, learner: str | None
) -> None:
    """Correct SENTENCE's verb (20 verbs, singular subjects, five tenses) and translate it to Spanish.

    \b
    An agent gathers the facts (the table's form, the model's proposal, the rule, the Spanish) in at most
    8 tool calls; the truth table decides: a correction the table contradicts is never printed. Plural
    subjects, other verbs, the continuous, questions, other languages: a polite decline.

    \b
    Examples:  lynx tutor "Yesterday she goed to the market."
               lynx tutor --json "my brother eat pizza every day"
               lynx tutor --trace --planner model "He is go to watch a film."
               lynx tutor --learner ana "I has a book."
    """
    from lynx_cortex.workspace import resolve_learner
    from miniagent.agent import longterm
    from miniagent.tutor.tutor import GrammarTutor

    _check(sentence)
    memory_path = None
    if learner is not None:
        memory_path = resolve_learner(learner).root / longterm.MEMORY_FILE
        longterm.load(memory_path, learner)  # a damaged file is refused before any work
    tutor_ = GrammarTutor()
    if planner == "model":
        from miniagent.agent.model_planner import ModelPlanner

        tutor_ = GrammarTutor(planner=ModelPlanner(tutor_.dispatcher.tools()))
    result = tutor_.correct(sentence)
    memory = longterm.record(memory_path, str(learner), result) if memory_path is not None else None
    if as_json:
        click.echo(json.dumps(result.to_json(trace=trace), ensure_ascii=False))
        return
    if not result.in_scope:
        click.echo(f"out of scope: {result.explanation['en']}")
        click.echo(f"fuera de alcance: {result.explanation['es']}")
    elif result.was_correct is None:
        click.echo(f"undecided:  {result.explanation['en']}")
    elif result.was_correct:
        click.echo(f"correct:    {result.correction}")
    else:
        click.echo(f"correction: {result.correction}")
        click.echo(
            f"error:      {result.error_type} ({result.verb}, {result.tense}, {result.person})"
        )
    if result.in_scope and result.was_correct is not None:
        click.echo(f"spanish:    {result.spanish_translation}")
    if explain and result.in_scope:
        click.echo(f"why:        {result.explanation['en']}")
        click.echo(f"por qué:    {result.explanation['es']}")
        click.echo(f"cited:      {', '.join(result.cited_chunks)}")
    if memory is not None:
        note = longterm.summary(memory, result.error_type)
        if note:
            click.echo(f"memory:     {note}")
    if trace:
        click.echo("trace:")
        for line in render_trace(result.trace):
            click.echo(f"  {line}")


def _short(value: object, width: int = 150) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def render_trace(trace: list[dict[str, Any]]) -> list[str]:
    """One readable block per agent step (thought / tool / arguments / observation), one line otherwise."""
    lines: list[str] = []
    for step in trace:
        kind = step.get("step")
        if kind == "tool":
            lines.append(f"step {step['index']}: {step['tool']}")
            if step.get("thought"):
                lines.append(f"  thought:     {step['thought']}")
            lines.append(f"  arguments:   {_short(step['arguments'])}")
            seen = step["result"] if step["ok"] else step["error"]
            lines.append(f"  observation: {'ok' if step['ok'] else 'error'} {_short(seen)}")
        elif kind == "parse":
            lines.append(f"parse: {_short(step['result'])}")
        elif kind == "final":
            lines.append(f"final answer: {step['thought']}")
        elif kind == "duplicate":
            lines.append(f"duplicate call {step['tool']} {_short(step['arguments'])}: stopped")
        elif kind == "stop":
            lines.append(f"stopped ({step['stopped']}) after {step['after_steps']} tool calls")
        else:
            rest = {k: v for k, v in step.items() if k != "step"}
            lines.append(f"{kind}: {_short(rest)}")
    return lines
