"""The corpus generator: enumerate every cell of the truth table, add seeded mis-conjugations, number the rows.

What the seed decides (and nothing else): which eligible error types each cell gets (0–2 of them), which
subject a participle error uses, and the row order — hence the ids. The set of correct rows is the same for
every seed: 20 verbs × (4 person-varying tenses × 3 persons + 2 person-invariant tenses) = 280.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from minicorpus.conjugate import conjugate_english, conjugate_spanish, spanish_present_perfect
from minicorpus.mis_conjugate import (
    PERFECT_CORRECTED,
    correct_form_for,
    eligible_mis_conjugations,
    mis_conjugate,
    row_person,
)
from minicorpus.rows import Row, fingerprint, format_id, row_seed
from minicorpus.verb_table import (
    PERSON_INVARIANT_TENSES,
    PERSONS,
    TENSES,
    VERB_TABLE,
    Person,
    Tense,
    VerbEntry,
)

DEFAULT_SEED = 42
MIN_ERRORS_PER_CELL = 1
MAX_ERRORS_PER_CELL = 2


@dataclass(frozen=True)
class Cell:
    """One corpus cell: a person-invariant tense has a single cell with person None."""

    verb: str
    tense: Tense
    person: Person | None


def corpus_cells() -> Iterator[Cell]:
    """The 280 cells in canonical order (table order of verbs, then tenses, then persons)."""
    for verb in VERB_TABLE:
        for tense in TENSES:
            if tense in PERSON_INVARIANT_TENSES:
                yield Cell(verb, tense, None)
            else:
                for person in PERSONS:
                    yield Cell(verb, tense, person)


def _row(entry: VerbEntry, tense: str, person: str | None, text: str, spanish: str) -> Row:
    return {
        "id": "",
        "text": text,
        "spanish": spanish,
        "verb_lemma": entry.english_lemma,
        "spanish_lemma": entry.spanish_lemma,
        "tense": tense,
        "person": person,
        "english_regularity": entry.english_regularity,
        "spanish_regularity": entry.spanish_regularity,
        "label": "correct",
        "mis_conjugation_type": None,
        "correct_form": None,
        "seed": 0,
        "fingerprint": fingerprint(text),
    }


def correct_row(cell: Cell) -> Row:
    entry = VERB_TABLE[cell.verb]
    text = conjugate_english(cell.verb, cell.tense, cell.person)
    spanish = conjugate_spanish(cell.verb, cell.tense, cell.person)
    return _row(entry, cell.tense, cell.person, text, spanish)


def mis_conjugated_row(code: str, cell: Cell, person: Person | None) -> Row | None:
    """The wrong row of type `code` for `cell` (subject `person` for participle errors), or None."""
    entry = VERB_TABLE[cell.verb]
    subject = cell.person if cell.person is not None else person
    wrong = mis_conjugate(code, entry, cell.tense, subject)
    if wrong is None:
        return None
    labelled = row_person(code, cell.tense, subject)
    if code in PERFECT_CORRECTED and cell.tense == "past_participle" and labelled is not None:
        spanish = spanish_present_perfect(cell.verb, labelled)
    else:
        spanish = conjugate_spanish(cell.verb, cell.tense, labelled)
    row = _row(entry, cell.tense, labelled, wrong, spanish)
    row["label"] = "mis_conjugated"
    row["mis_conjugation_type"] = code
    row["correct_form"] = correct_form_for(code, entry, cell.tense, subject)
    return row


def error_slots(cell: Cell) -> list[tuple[Person | None, list[str]]]:
    """Where errors can attach to a cell: (subject person, eligible types) pairs.

    A participle row is one bare slot (overregularisation: `eaten` → `eated`) plus one slot per person for
    the errors that add a subject (`he eaten`, `he have eaten`), so each of the 360 truth-table cells can host
    its own wrong forms.
    """
    entry = VERB_TABLE[cell.verb]
    if cell.tense != "past_participle":
        return [(cell.person, list(eligible_mis_conjugations(entry, cell.tense, cell.person)))]
    slots: list[tuple[Person | None, list[str]]] = [
        (None, list(eligible_mis_conjugations(entry, cell.tense, None)))
    ]
    for person in PERSONS:
        codes = eligible_mis_conjugations(entry, cell.tense, person)
        slots.append((person, [code for code in codes if code in PERFECT_CORRECTED]))
    return slots


def _errors_for(cell: Cell, rng: random.Random) -> list[Row]:
    """1–2 wrong rows for each slot of a cell that has an eligible type, types drawn by `rng`."""
    rows: list[Row] = []
    for subject, eligible in error_slots(cell):
        if not eligible:
            continue
        count = rng.randint(MIN_ERRORS_PER_CELL, min(MAX_ERRORS_PER_CELL, len(eligible)))
        for code in sorted(rng.sample(eligible, count), key=eligible.index):
            row = mis_conjugated_row(code, cell, subject)
            if row is not None:
                rows.append(row)
    return rows


def generate_rows(seed: int = DEFAULT_SEED) -> list[Row]:
    """All rows, shuffled by `seed` and numbered 0001… in file order.

    A wrong form whose text is already a row (a correct form, or an earlier wrong one) is dropped: one text,
    one label.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    rng = random.Random(seed)
    rows = [correct_row(cell) for cell in corpus_cells()]
    seen = {row["fingerprint"] for row in rows}
    for cell in corpus_cells():
        for row in _errors_for(cell, rng):
            if row["fingerprint"] not in seen:
                seen.add(row["fingerprint"])
                rows.append(row)
    rng.shuffle(rows)
    for index, row in enumerate(rows, start=1):
        row["id"] = format_id(index)
        row["seed"] = row_seed(seed, row["id"])
    return rows
