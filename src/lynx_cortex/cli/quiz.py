"""`lynx quiz NN`: the phase's quiz in the terminal, graded and recorded in the learner workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from lynx_cortex.cli._common import CONTEXT, EXIT_FAILED_CHECK, PHASE
from lynx_cortex.cli.learner import learner_option
from lynx_cortex.phases import get_phase
from lynx_cortex.workspace import record_quiz_attempt, resolve_learner

# The quiz schema needs pydantic: loaded when a quiz is taken, not for `lynx --help`.
if TYPE_CHECKING:
    from lynx_cortex.quiz import Lang, QuizItem, Response

_HINT = {
    "single": {"en": "one number", "es": "un número"},
    "multi": {"en": "numbers separated by commas", "es": "números separados por comas"},
}
_WORDS = {"en": ("correct", "wrong"), "es": ("correcto", "incorrecto")}


def _ask(item: QuizItem, lang: Lang) -> Response:
    from lynx_cortex.quiz import parse_response

    click.echo("")
    click.echo(f"[{item.id}] {item.prompt.text(lang)}")
    for index in range(len(item.choices or [])):
        click.echo(f"  {index + 1}. {item.choice_text(index, lang)}")
    hint = _HINT.get(item.type, {"en": "text", "es": "texto"})[lang]
    while True:
        text: str = click.prompt(f"({hint})", prompt_suffix=" > ", default="", show_default=False)
        try:
            return parse_response(item, text)
        except ValueError as exc:
            click.echo(f"  {exc}")


@click.command("quiz", context_settings=CONTEXT, short_help="Take a phase's quiz in the terminal.")
@click.argument("nn", type=PHASE)
@learner_option
@click.option("--lang", type=click.Choice(["en", "es"]), default="en", show_default=True)
@click.option(
    "--record/--no-record",
    default=True,
    show_default=True,
    help="Record the attempt in the workspace.",
)
def quiz(nn: int, learner: str | None, lang: Lang, record: bool) -> None:
    """Take phase NN's quiz in the terminal; 70 % passes (exit 1 below that)."""
    from lynx_cortex.quiz import QuizScore, is_correct, load_quiz

    phase = get_phase(nn)
    workspace = (
        resolve_learner(learner) if record else None
    )  # fail before the first question, not after
    loaded = load_quiz(phase.quiz_path)
    click.echo(f"Phase {phase.code} — {loaded.title.text(lang)} ({len(loaded.items)} questions)")
    answers: dict[str, Any] = {}
    correct = 0
    for item in loaded.items:
        response = _ask(item, lang)
        ok = is_correct(item, response)
        correct += ok
        answers[item.id] = {"response": response, "correct": ok}
        click.echo(f"  → {_WORDS[lang][0 if ok else 1]}: {item.expected_text(lang)}")
        click.echo(f"  {item.explanation.text(lang)}")
    score = QuizScore(correct, len(loaded.items))
    click.echo("")
    click.echo(
        f"score: {score.correct}/{score.total} ({score.fraction:.0%}) — {'PASS' if score.passed else 'FAIL'}"
    )
    if workspace is not None:
        record_quiz_attempt(
            workspace,
            phase=phase.number,
            correct=score.correct,
            total=score.total,
            passed=score.passed,
            answers=answers,
        )
        click.echo(f"recorded in {workspace.progress_md}")
    if not score.passed:
        raise click.exceptions.Exit(EXIT_FAILED_CHECK)
