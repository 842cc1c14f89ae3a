"""Quizzes: one YAML schema for the terminal and the portal, validated when loaded, graded here.

A malformed file must never reach a learner as a confusing page or a wrong grade, so loading fails with the
file, the item and the field named. Grading is deliberately forgiving about case, spacing and surrounding
punctuation and strict about everything else.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

from lynx_cortex.errors import LynxError
from lynx_cortex.files import read_text
from lynx_cortex.phases import get_phase

PASS_MARK = 0.70
MIN_ITEMS = 5
Lang = Literal["en", "es"]
ItemType = Literal["single", "multi", "short", "contains", "conjugation"]
_FILE_NAME = re.compile(r"^phase-(?P<phase>\d{2})-(?P<slug>[a-z0-9-]+)\.yaml$")


class QuizError(LynxError):
    """A quiz file that cannot be served; the message names the file, the item and the field."""


class Localized(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    en: StrictStr = Field(min_length=1)
    es: StrictStr = Field(min_length=1)

    def text(self, lang: Lang) -> str:
        return self.es if lang == "es" else self.en


Choice = StrictStr | Localized


class QuizItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: StrictStr = Field(pattern=r"^q-\d{2}-\d{2}$")
    type: ItemType
    prompt: Localized
    choices: list[Choice] | None = None
    answer: StrictInt | list[StrictInt] | list[StrictStr]
    explanation: Localized
    tags: list[StrictStr] = Field(default_factory=list)

    @model_validator(mode="after")
    def _answer_fits_type(self) -> QuizItem:
        if self.type in ("single", "multi"):
            if not self.choices or len(self.choices) < 2:
                raise ValueError(f"a {self.type} item needs at least two choices")
            n = len(self.choices)
            if self.type == "single":
                if not isinstance(self.answer, int):
                    raise ValueError("a single item's answer is one choice index, e.g. answer: 2")
                indices = [self.answer]
            else:
                if not isinstance(self.answer, list) or not self.answer:
                    raise ValueError(
                        "a multi item's answer is a non-empty list of indices, e.g. [0, 2]"
                    )
                if not all(isinstance(i, int) for i in self.answer):
                    raise ValueError("a multi item's answer must list choice indices (integers)")
                indices = [int(i) for i in self.answer]
                if len(set(indices)) != len(indices):
                    raise ValueError("a multi item's answer repeats an index")
            bad = [i for i in indices if not 0 <= i < n]
            if bad:
                raise ValueError(
                    f"answer index {bad[0]} is out of range for {n} choices (0..{n - 1})"
                )
        else:
            if self.choices is not None:
                raise ValueError(f"a {self.type} item takes no choices")
            if (
                not isinstance(self.answer, list)
                or not self.answer
                or not all(isinstance(a, str) and normalize(a) for a in self.answer)
            ):
                raise ValueError(
                    f'a {self.type} item\'s answer is a non-empty list of strings, e.g. ["went"]'
                )
        return self

    def choice_text(self, index: int, lang: Lang) -> str:
        choice = (self.choices or [])[index]
        return choice if isinstance(choice, str) else choice.text(lang)

    @property
    def answer_indices(self) -> list[int]:
        """The correct choice indices of a single/multi item (empty for text items)."""
        if isinstance(self.answer, int):
            return [self.answer]
        return [a for a in self.answer if isinstance(a, int)]

    @property
    def answer_texts(self) -> list[str]:
        """The accepted answers of a text item (empty for choice items)."""
        if isinstance(self.answer, int):
            return []
        return [a for a in self.answer if isinstance(a, str)]

    def expected_text(self, lang: Lang) -> str:
        """The right answer as a learner should see it after answering."""
        if self.type in ("single", "multi"):
            return "; ".join(f"{i + 1}. {self.choice_text(i, lang)}" for i in self.answer_indices)
        joiner = " + " if self.type == "contains" else " / "
        return joiner.join(self.answer_texts)


class Quiz(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phase: StrictInt = Field(ge=0, le=41)
    slug: StrictStr
    title: Localized
    items: list[QuizItem]

    @model_validator(mode="after")
    def _items_are_consistent(self) -> Quiz:
        if len(self.items) < MIN_ITEMS:
            raise ValueError(
                f"a quiz needs at least {MIN_ITEMS} items, this one has {len(self.items)}"
            )
        seen: set[str] = set()
        prefix = f"q-{self.phase:02d}-"
        for item in self.items:
            if item.id in seen:
                raise ValueError(f"item id {item.id} appears twice")
            if not item.id.startswith(prefix):
                raise ValueError(f"item id {item.id} must start with {prefix}")
            seen.add(item.id)
        return self


def _describe(loc: Sequence[int | str], raw: Any) -> str:
    """Turn pydantic's location tuple into `item q-00-03 (#3): answer`."""
    if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
        index = loc[1]
        item_id = None
        if (
            isinstance(raw, dict)
            and isinstance(raw.get("items"), list)
            and index < len(raw["items"])
        ):
            entry = raw["items"][index]
            item_id = entry.get("id") if isinstance(entry, dict) else None
        where = f"item {item_id} (#{index + 1})" if item_id else f"item #{index + 1}"
        rest = [
            str(part)
            for part in loc[2:]
            if not str(part).startswith(("function-", "str", "int", "list"))
        ]
        return f"{where}: {'.'.join(rest)}" if rest else where
    return ".".join(str(part) for part in loc) or "quiz"


def parse_quiz(raw: Any, source: str) -> Quiz:
    if not isinstance(raw, dict):
        raise QuizError(
            f"{source}: a quiz file must be a YAML mapping with phase, slug, title, items"
        )
    try:
        return Quiz.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        problems = len(exc.errors())
        more = (
            f" (and {problems - 1} more problem{'s' if problems > 2 else ''})"
            if problems > 1
            else ""
        )
        raise QuizError(f"{source}: {_describe(first['loc'], raw)}: {message}{more}") from exc


def safe_load_yaml(text: str) -> Any:
    """`yaml.safe_load` through libyaml when PyYAML was built with it (its wheels are): the portal parses every
    quiz and exam file each time it builds its app, and the pure-Python parser spent 0.7 s on them."""
    loader = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    return yaml.load(text, Loader=loader)  # noqa: S506  # a safe loader, C or Python


def load_quiz(path: Path) -> Quiz:
    """Load and validate one quiz file, checking its name agrees with its phase and the course's slug."""
    path = Path(path)
    if not path.is_file():
        raise QuizError(f"quiz file not found: {path}")
    try:
        text = read_text(path)
    except LynxError as exc:
        raise QuizError(str(exc)) from None
    try:
        raw = safe_load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise QuizError(f"{path}: invalid YAML{where}: {problem}") from exc
    quiz = parse_quiz(raw, str(path))
    match = _FILE_NAME.match(path.name)
    if match is None:
        raise QuizError(f"{path}: quiz files are named phase-NN-<slug>.yaml")
    if int(match["phase"]) != quiz.phase or match["slug"] != quiz.slug:
        raise QuizError(
            f"{path}: file name says phase {match['phase']} '{match['slug']}' "
            f"but the file says phase {quiz.phase:02d} '{quiz.slug}'"
        )
    expected = get_phase(quiz.phase).slug
    if quiz.slug != expected:
        raise QuizError(f"{path}: phase {quiz.phase:02d}'s slug is '{expected}', not '{quiz.slug}'")
    return quiz


def load_quizzes(folder: Path) -> dict[int, Quiz]:
    """Every quiz in `folder`, validated; the first bad file stops the load (the portal refuses to start)."""
    quizzes: dict[int, Quiz] = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        quiz = load_quiz(path)
        if quiz.phase in quizzes:
            raise QuizError(f"{path}: a second quiz for phase {quiz.phase:02d}")
        quizzes[quiz.phase] = quiz
    return quizzes


# --------------------------------------------------------------------------------------------- grading

Response = int | list[int] | str

_EDGE_PUNCT = ".,;:!?¡¿\"'`()[] "


def normalize(text: str) -> str:
    """NFC, case-folded, single-spaced, without punctuation at either end."""
    folded = unicodedata.normalize("NFC", text).casefold()
    return " ".join(folded.split()).strip(_EDGE_PUNCT)


def parse_response(item: QuizItem, text: str) -> Response:
    """Read what a learner typed; choice numbers are 1-based on screen. Raises ValueError with a hint."""
    text = text.strip()
    if item.type in ("single", "multi"):
        n_choices = len(item.choices or [])
        parts = [p for p in re.split(r"[,\s]+", text) if p]
        if not parts or not all(p.isdigit() for p in parts):
            raise ValueError(
                "answer with choice numbers, e.g. 2" + (" or 1,3" if item.type == "multi" else "")
            )
        picks = [int(p) - 1 for p in parts]
        if any(not 0 <= p < n_choices for p in picks):
            raise ValueError(f"choose numbers from 1 to {n_choices}")
        if item.type == "single":
            if len(picks) != 1:
                raise ValueError("this question takes exactly one choice")
            return picks[0]
        return sorted(set(picks))
    if not normalize(text):
        raise ValueError("type an answer")
    return text


def is_correct(item: QuizItem, response: Response) -> bool:
    if item.type == "single":
        return response == item.answer
    if item.type == "multi":
        return isinstance(response, list) and sorted(response) == sorted(item.answer_indices)
    if not isinstance(response, str):
        return False
    said = normalize(response)
    answers = item.answer_texts
    if item.type == "contains":
        # every keyword must appear; "a|b" accepts either spelling of one keyword
        return all(
            any(normalize(alt) in said for alt in keyword.split("|") if normalize(alt))
            for keyword in answers
        )
    return said in {normalize(a) for a in answers}


@dataclass(frozen=True)
class QuizScore:
    correct: int
    total: int

    @property
    def fraction(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def passed(self) -> bool:
        return self.fraction >= PASS_MARK
