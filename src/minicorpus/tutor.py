"""Corpus v1.1, the tutor training set: real-looking sentences, their corrections and their Spanish.

The v1 corpus teaches forms (`he work`); the tutor must read sentences ("Yesterday she goed to the market.").
This set puts every finite cell in frames (`minicorpus.frames`: subjects, complements, time adverbs at the
start or the end), pairs every correct sentence with each error the taxonomy can make of it, and gives both
the full Spanish sentence of the correct one (`minicorpus.spanish`). Participle cells appear in the present
perfect (`She has eaten fish.`), the construction their errors are corrected to. Infinitive cells are not
framed: a bare `to work` is not a sentence and no error type applies to it.

The full cross product of frames is far too big to train on, so each (verb, tense, person) cell gets a seeded
sample of its frames; every sampled frame keeps all of its error variants, so a frame is the unit the splits
move around (`minicorpus.tutor_split`).
"""

from __future__ import annotations

import functools
import random
import unicodedata
from collections.abc import Sequence
from typing import Final

from minicorpus.conjugate import conjugate_english, english_present_perfect
from minicorpus.frames import Frame, sample_frames
from minicorpus.mis_conjugate import (
    MIS_CONJUGATION_TYPES,
    PERFECT_CORRECTED,
    check_type,
    mis_conjugate,
)
from minicorpus.rows import Row
from minicorpus.spanish import spanish_sentence
from minicorpus.verb_table import (
    ENGLISH_HAVE_PRESENT,
    ENGLISH_PRONOUNS,
    PERSONS,
    TENSES,
    VERB_TABLE,
    Person,
    Tense,
)

TUTOR_NAME: Final = "lynx-cortex-tutor-v1.1"
TUTOR_VERSION: Final = "1.1.0"
DEFAULT_SEED: Final = 42
MAX_SENTENCE_CHARS: Final = 280
#: Frames sampled per (verb, tense, person) cell; a first- or second-person cell has fewer and keeps all.
FRAMES_PER_CELL: Final = 52

FRAMED_TENSES: Final[tuple[Tense, ...]] = tuple(t for t in TENSES if t != "infinitive")
Cell = tuple[str, Tense, Person]
FRAMED_CELLS: Final[tuple[Cell, ...]] = tuple(
    (verb, tense, person) for verb in VERB_TABLE for tense in FRAMED_TENSES for person in PERSONS
)
#: Sentences the docs and the tutor's demo quote: always sampled, and always in training.
PINNED: Final[tuple[tuple[Cell, Frame], ...]] = (
    (("go", "past_simple", "3sg"), Frame("she", "to the market", "yesterday", "initial")),
    (("like", "present_simple", "3sg"), Frame("Maria", "music", "", "none")),
    (("like", "present_simple", "1sg"), Frame("I", "the film", "", "none")),
    (("want", "past_simple", "1sg"), Frame("I", "a coffee", "", "none")),
    (("be", "present_simple", "3sg"), Frame("Tom", "tired", "", "none")),
)

TUTOR_FIELDS: Final[tuple[str, ...]] = (
    "id",
    "text",
    "correct_text",
    "error_type",
    "spanish",
    "verb_lemma",
    "tense",
    "person",
    "regularity",
    "subject",
    "complement",
    "adverb",
    "adverb_position",
)


@functools.cache
def correct_core(verb: str, tense: Tense, person: Person) -> str:
    """The correct canonical clause (`he went`, `he has gone` for a participle cell)."""
    if tense == "past_participle":
        return english_present_perfect(verb, person)
    return conjugate_english(verb, tense, person)


@functools.cache
def wrong_core(code: str, verb: str, tense: Tense, person: Person) -> str | None:
    """The canonical clause with error `code`, or None when the error does not apply to the cell."""
    kind = check_type(code)
    entry = VERB_TABLE[verb]
    if tense == "past_participle":
        if kind == "overregularization_past":
            bare = mis_conjugate(kind, entry, tense, None)  # `eated`: the wrong participle
            if bare is None:
                return None
            return f"{ENGLISH_PRONOUNS[person]} {ENGLISH_HAVE_PRESENT[person]} {bare}"
        if kind not in PERFECT_CORRECTED:
            return None
    return mis_conjugate(kind, entry, tense, person)


@functools.cache
def applicable_errors(verb: str, tense: Tense, person: Person) -> tuple[str, ...]:
    """The error types a cell's sentences can carry, in taxonomy order."""
    return tuple(c for c in MIS_CONJUGATION_TYPES if wrong_core(c, verb, tense, person))


def render(core: str, person: Person, frame: Frame) -> str:
    """Swap the canonical pronoun for the frame's subject, add complement and adverb, capitalise, stop."""
    pronoun = ENGLISH_PRONOUNS[person]
    if not core.startswith(pronoun + " "):
        raise ValueError(f"clause {core!r} does not start with {pronoun!r}")
    words = [frame.subject, core[len(pronoun) + 1 :]]
    if frame.complement:
        words.append(frame.complement)
    if frame.position == "final":
        words.append(frame.adverb)
    elif frame.position == "initial":
        words.insert(0, frame.adverb)
    sentence = " ".join(words)
    return unicodedata.normalize("NFC", sentence[0].upper() + sentence[1:] + ".")


def _row(cell: Cell, frame: Frame, text: str, correct: str, code: str | None, spanish: str) -> Row:
    verb, tense, person = cell
    return {
        "id": "",
        "text": text,
        "correct_text": correct,
        "error_type": code,
        "spanish": spanish,
        "verb_lemma": verb,
        "tense": tense,
        "person": person,
        "regularity": VERB_TABLE[verb].english_regularity,
        "subject": frame.subject,
        "complement": frame.complement,
        "adverb": frame.adverb,
        "adverb_position": frame.position,
    }


def frame_rows(cell: Cell, frame: Frame) -> list[Row]:
    """One frame's rows: the correct sentence, then one per applicable error type, all with one Spanish."""
    verb, tense, person = cell
    correct = render(correct_core(verb, tense, person), person, frame)
    spanish = spanish_sentence(verb, tense, person, frame)
    rows = [_row(cell, frame, correct, correct, None, spanish)]
    for code in applicable_errors(verb, tense, person):
        clause = (
            wrong_core(code, verb, tense, person) or ""
        )  # never empty: applicable_errors kept it
        rows.append(_row(cell, frame, render(clause, person, frame), correct, code, spanish))
    return rows


def cell_frames(cell: Cell, seed: int, size: int = FRAMES_PER_CELL) -> list[Frame]:
    """The cell's sampled frames plus any pinned frame of the cell."""
    frames = sample_frames(*cell, size=size, seed=seed)
    for pinned_cell, frame in PINNED:
        if pinned_cell == cell and frame not in frames:
            frames.append(frame)
    return frames


def generate_tutor_rows(seed: int = DEFAULT_SEED, size: int = FRAMES_PER_CELL) -> list[Row]:
    """Sampled frames of every cell with all their error variants, shuffled by `seed`, ids 000001…

    A sentence that two frames would both produce is kept once (first wins); `check_frames_complete` then
    fails, because the second frame lost a row — so far no two frames collide. Every sentence is capitalised
    and NFC, so the exact text is the duplicate key (v1's case-folding fingerprint is not needed).
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    rows: list[Row] = []
    seen: set[str] = set()
    for cell in FRAMED_CELLS:
        for frame in cell_frames(cell, seed, size):
            for row in frame_rows(cell, frame):
                if row["text"] not in seen:
                    seen.add(row["text"])
                    rows.append(row)
    random.Random(seed).shuffle(rows)
    for index, row in enumerate(rows, start=1):
        row["id"] = f"{index:06d}"
    return rows


def frame_of(row: Row) -> Frame:
    return Frame(row["subject"], row["complement"], row["adverb"], row["adverb_position"])


def pinned_texts() -> frozenset[str]:
    """The correct sentences of the pinned frames (they identify their frames)."""
    return frozenset(render(correct_core(*cell), cell[2], frame) for cell, frame in PINNED)


def rows_by_frame(rows: Sequence[Row]) -> dict[str, list[Row]]:
    """Rows grouped by frame instance; a frame's correct sentence names it."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(str(row.get("correct_text")), []).append(row)
    return groups
