"""Questions the portal can ask and grade: quiz items from `data/quizzes/` and §A13 conjugation cells.

A `Question` is what a page, a grader and a review card need, whatever its origin. Quiz items keep their YAML
id (`q-07-03`); conjugation questions are generated from the truth table and named by their cell
(`c-go-past_simple-3sg`, `c-go-past_participle-any`), so a review card made from an exam stays answerable
even if the exam file changes: the id alone rebuilds the question.

Grading `conjugation` questions asks `minicorpus` rather than comparing strings: an answer is right when the
truth table reads it as the asked (verb, tense, person). A bare verb group that is the same for every person
(`went`) is accepted for any person; a form with the wrong subject (`I went` for 3sg) is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from lynx_cortex.quiz import Quiz, QuizItem, is_correct, normalize, parse_response
from minicorpus.conjugate import conjugate_english
from minicorpus.truth_table import Analysis, analyze_english
from minicorpus.verb_table import PERSON_INVARIANT_TENSES, PERSONS, TENSES, VERB_TABLE
from miniportal.controls import find_control

Lang = Literal["en", "es"]
MAX_ANSWER_CHARS = 1000
_CELL_ID = re.compile(r"^c-([a-z]+)-([a-z_]+)-(1sg|2sg|3sg|any)$")

TENSE_NAMES: Mapping[str, tuple[str, str]] = {
    "infinitive": ("infinitive (with 'to')", "infinitivo (con 'to')"),
    "present_simple": ("present simple", "presente simple"),
    "past_simple": ("past simple", "pasado simple"),
    "past_participle": ("past participle", "participio pasado"),
    "future_will": ("future with will", "futuro con will"),
    "future_going_to": ("future with going to", "futuro con going to"),
}
PERSON_NAMES: Mapping[str, tuple[str, str]] = {
    "1sg": ("I (1st person singular)", "I (1.ª persona singular)"),
    "2sg": ("you (2nd person singular)", "you (2.ª persona singular)"),
    "3sg": ("he (3rd person singular)", "he (3.ª persona singular)"),
}


@dataclass(frozen=True)
class Question:
    """One gradable question; `choices` holds (en, es) pairs for single/multi items."""

    id: str
    kind: str
    prompt_en: str
    prompt_es: str
    explanation_en: str
    explanation_es: str
    phase: int | None = None
    choices: tuple[tuple[str, str], ...] = ()
    item: QuizItem | None = field(default=None, compare=False)
    cell: tuple[str, str, str | None] | None = None

    def prompt(self, lang: str) -> str:
        return self.prompt_es if lang == "es" else self.prompt_en

    def explanation(self, lang: str) -> str:
        return self.explanation_es if lang == "es" else self.explanation_en

    def choice(self, index: int, lang: str) -> str:
        en, es = self.choices[index]
        return es if lang == "es" else en

    def expected(self, lang: str) -> str:
        if self.item is not None:
            return self.item.expected_text("es" if lang == "es" else "en")
        if self.cell is not None:
            return conjugate_english(*self.cell)
        return ""


def from_quiz_item(item: QuizItem, phase: int) -> Question:
    choices = tuple(
        (item.choice_text(i, "en"), item.choice_text(i, "es"))
        for i in range(len(item.choices or []))
    )
    return Question(
        id=item.id,
        kind=item.type,
        prompt_en=item.prompt.en,
        prompt_es=item.prompt.es,
        explanation_en=item.explanation.en,
        explanation_es=item.explanation.es,
        phase=phase,
        choices=choices,
        item=item,
    )


# ---------------------------------------------------------------------------------------- conjugation


def cell_id(verb: str, tense: str, person: str | None) -> str:
    return f"c-{verb}-{tense}-{person or 'any'}"


def conjugation_question(verb: str, tense: str, person: str | None) -> Question:
    """The question for one truth-table cell; raises ValueError for a cell the table does not have."""
    if verb not in VERB_TABLE:
        raise ValueError(f"unknown verb {verb!r}; the table has {', '.join(VERB_TABLE)}")
    if tense not in TENSES:
        raise ValueError(f"unknown tense {tense!r}; use one of {', '.join(TENSES)}")
    if tense in PERSON_INVARIANT_TENSES:
        person = None
    elif person not in PERSONS:
        raise ValueError(f"tense {tense} needs a person ({', '.join(PERSONS)}), got {person!r}")
    answer = conjugate_english(verb, tense, person)
    spanish = VERB_TABLE[verb].spanish_lemma
    tense_en, tense_es = TENSE_NAMES[tense]
    if person is None:
        who_en = who_es = ""
    else:
        who_en = f" for {PERSON_NAMES[person][0]}; write the subject too"
        who_es = f" para {PERSON_NAMES[person][1]}; escribe también el sujeto"
    kind = "irregular" if VERB_TABLE[verb].english_regularity == "irregular" else "regular"
    return Question(
        id=cell_id(verb, tense, person),
        kind="conjugation",
        prompt_en=f"Write the {tense_en} of “{verb}” (Spanish: {spanish}){who_en}.",
        prompt_es=f"Escribe el {tense_es} de “{verb}” (en español: {spanish}){who_es}.",
        explanation_en=f"The truth table gives “{answer}”; “{verb}” is {kind} in English.",
        explanation_es=(
            f"La tabla de verdad da «{answer}»; “{verb}” es "
            f"{'irregular' if kind == 'irregular' else 'regular'} en inglés."
        ),
        cell=(verb, tense, person),
    )


def question_for_cell_id(item_id: str) -> Question | None:
    match = _CELL_ID.fullmatch(item_id)
    if match is None:
        return None
    verb, tense, person = match.groups()
    try:
        return conjugation_question(verb, tense, None if person == "any" else person)
    except ValueError:
        return None


def _reads_as(readings: Iterable[Analysis], verb: str, tense: str, person: str | None) -> bool:
    return any(
        a.verb == verb
        and a.tense == tense
        and (a.person is None or person is None or a.person == person)
        for a in readings
    )


def table_accepts(text: str, verb: str, tense: str, person: str | None) -> bool:
    """True when the truth table reads `text` as (verb, tense, person)."""
    return _reads_as(analyze_english(normalize(text)), verb, tense, person)


# -------------------------------------------------------------------------------------------- grading


@dataclass(frozen=True)
class Graded:
    question: Question
    response: str  # what the learner gave, as text for storage and display
    answered: bool
    correct: bool


class AnswerError(ValueError):
    """An answer that cannot be read (a choice number out of range, say); the message names the item."""


def grade(question: Question, raw: str | list[int] | None) -> Graded:
    """Grade one answer. `raw` is the typed text, or the ticked choice indices (0-based) for choice items.

    No answer counts as wrong; an answer that cannot be read raises `AnswerError`.
    """
    if raw is None or raw == "" or raw == []:
        return Graded(question, "", answered=False, correct=False)
    if isinstance(raw, list):
        if question.kind not in ("single", "multi") or question.item is None:
            raise AnswerError(f"{question.id}: this question takes a typed answer")
        n = len(question.choices)
        if any(not 0 <= i < n for i in raw):
            raise AnswerError(f"{question.id}: choose from 1 to {n}")
        if question.kind == "single" and len(raw) != 1:
            raise AnswerError(f"{question.id}: choose exactly one answer")
        response: int | list[int] = raw[0] if question.kind == "single" else sorted(set(raw))
        shown = ",".join(
            str(i + 1) for i in ([response] if isinstance(response, int) else response)
        )
        return Graded(question, shown, True, is_correct(question.item, response))
    text = raw.strip()
    if (where := find_control(text)) is not None:
        raise AnswerError(f"{question.id}: the answer must not contain control characters: {where}")
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerError(
            f"{question.id}: the answer is too long (at most {MAX_ANSWER_CHARS} characters)"
        )
    if question.kind in ("single", "multi"):
        raise AnswerError(f"{question.id}: pick one of the choices")
    if not normalize(text):
        return Graded(question, text, answered=False, correct=False)
    if question.cell is not None:
        return Graded(question, text, True, table_accepts(text, *question.cell))
    if question.item is None:
        raise AnswerError(f"{question.id}: this question has no answer key")
    parsed = parse_response(question.item, text)
    correct = is_correct(question.item, parsed)
    if not correct and question.kind == "conjugation":
        keys = [
            r for answer in question.item.answer_texts for r in analyze_english(normalize(answer))
        ]
        said = analyze_english(normalize(text))
        correct = any(_reads_as(said, k.verb, k.tense, k.person) for k in keys)
    return Graded(question, text, True, correct)


# ---------------------------------------------------------------------------------------------- bank


class ItemBank:
    """Every question by id: all quiz items plus any truth-table cell (rebuilt from its id on demand)."""

    def __init__(self, quizzes: Mapping[int, Quiz]) -> None:
        self._items: dict[str, Question] = {}
        for phase, quiz in quizzes.items():
            for item in quiz.items:
                self._items[item.id] = from_quiz_item(item, phase)

    def get(self, item_id: str) -> Question | None:
        found = self._items.get(item_id)
        return found if found is not None else question_for_cell_id(item_id)

    def __contains__(self, item_id: object) -> bool:
        return isinstance(item_id, str) and self.get(item_id) is not None
