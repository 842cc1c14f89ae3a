"""Exams: `data/exams/<slug>.yaml`, a list of quiz items from any phase and/or cells drawn from the truth table.

```yaml
slug: a13-conjugation
title: {en: "...", es: "..."}
intro: {en: "...", es: "..."}        # optional
items: [q-00-01, q-07-03]            # quiz item ids (optional)
conjugation: {count: 15, seed: 13}   # optional: cells drawn from minicorpus's truth table
```

Like quizzes, exams are validated when the portal starts: a bad file stops it with the file and the field named.
The drawn cells depend only on the seed, so every learner sits the same exam and a re-sit asks the same cells.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from lynx_cortex.errors import LynxError
from lynx_cortex.quiz import Localized, safe_load_yaml
from minicorpus.verb_table import PERSON_INVARIANT_TENSES, PERSONS, TENSES, VERB_TABLE
from miniportal.questions import ItemBank, Question, conjugation_question

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class ExamError(LynxError):
    """An exam file the portal cannot serve; the message names the file and the field."""


class ConjugationDraw(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    count: StrictInt = Field(ge=1, le=60)
    seed: StrictInt = Field(ge=0)


class ExamSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: StrictStr = Field(pattern=SLUG.pattern)
    title: Localized
    intro: Localized | None = None
    items: list[StrictStr] = Field(default_factory=list)
    conjugation: ConjugationDraw | None = None


def all_cells() -> list[tuple[str, str, str | None]]:
    """Every distinct cell of the table: person-invariant tenses once per verb (20 × (4 × 3 + 2) = 280)."""
    cells: list[tuple[str, str, str | None]] = []
    for verb in VERB_TABLE:
        for tense in TENSES:
            if tense in PERSON_INVARIANT_TENSES:
                cells.append((verb, tense, None))
            else:
                cells.extend((verb, tense, person) for person in PERSONS)
    return cells


def draw_conjugation(count: int, seed: int) -> list[Question]:
    cells = random.Random(seed).sample(all_cells(), count)
    return [conjugation_question(*cell) for cell in cells]


class Exam:
    """A validated exam with its questions in order."""

    def __init__(self, spec: ExamSpec, questions: list[Question]) -> None:
        self.spec = spec
        self.questions = questions

    @property
    def slug(self) -> str:
        return self.spec.slug

    def title(self, lang: str) -> str:
        return self.spec.title.text("es" if lang == "es" else "en")

    def intro(self, lang: str) -> str:
        return self.spec.intro.text("es" if lang == "es" else "en") if self.spec.intro else ""


def load_exam(path: Path, bank: ItemBank) -> Exam:
    try:
        raw = safe_load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ExamError(f"{path}: cannot read the exam: {exc.__class__.__name__}") from None
    if not isinstance(raw, dict):
        raise ExamError(f"{path}: an exam file is a YAML mapping with slug, title and items")
    try:
        spec = ExamSpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "exam"
        raise ExamError(f"{path}: {where}: {first['msg']}") from None
    if spec.slug != path.stem:
        raise ExamError(f"{path}: slug {spec.slug!r} must match the file name {path.stem!r}")
    if not spec.items and spec.conjugation is None:
        raise ExamError(f"{path}: an exam needs items, a conjugation draw, or both")
    questions: list[Question] = []
    for index, item_id in enumerate(spec.items):
        question = bank.get(item_id)
        if question is None:
            raise ExamError(f"{path}: items[{index}]: no quiz item {item_id!r}")
        questions.append(question)
    if spec.conjugation is not None:
        questions.extend(draw_conjugation(spec.conjugation.count, spec.conjugation.seed))
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ExamError(f"{path}: an item appears twice")
    return Exam(spec, questions)


def load_exams(folder: Path, bank: ItemBank) -> dict[str, Exam]:
    if not folder.is_dir():
        return {}
    return {exam.slug: exam for exam in (load_exam(p, bank) for p in sorted(folder.glob("*.yaml")))}
