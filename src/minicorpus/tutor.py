"""Corpus v1.1, the tutor training set: real-looking sentences built from the truth table.

The v1 corpus teaches forms (`he work`); the tutor must read sentences ("Yesterday she goed to the market.").
This set wraps every finite cell in frames — subjects beyond `he` (she, it, names), a verb-specific complement,
a time adverb that fits the tense at the start or the end, a capital and a full stop — and pairs every
correct sentence with each error the taxonomy can make of it. Participle cells appear in the present perfect
(`She has eaten lunch.`), the construction their errors are corrected to. Infinitive cells are not framed:
a bare `to work` is not a sentence and no error type applies to it (the truth table still answers it).

Everything is enumerated; the seed only orders the rows. Splits reuse the v1 corpus's (verb, tense)
assignment, so a key held out of v1 training is held out here too.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from lynx_cortex.atomic import write_json_atomic
from lynx_cortex.errors import LynxError
from minicorpus.conjugate import (
    conjugate_english,
    conjugate_spanish,
    english_present_perfect,
    spanish_present_perfect,
)
from minicorpus.manifest import file_entry
from minicorpus.mis_conjugate import (
    MIS_CONJUGATION_TYPES,
    PERFECT_CORRECTED,
    check_type,
    mis_conjugate,
)
from minicorpus.rows import Row, fingerprint, write_jsonl
from minicorpus.split import SPLIT_NAMES, Split
from minicorpus.validate import (
    CheckResult,
    ValidationReport,
    failing_rows,
    make_result,
    text_field,
)
from minicorpus.verb_table import (
    ENGLISH_HAVE_PRESENT,
    ENGLISH_PRONOUNS,
    PERSONS,
    SPANISH_PRONOUNS,
    TENSES,
    VERB_TABLE,
    Person,
    Tense,
)

TUTOR_NAME: Final = "lynx-cortex-tutor-v1.1"
TUTOR_VERSION: Final = "1.1.0"
TUTOR_DIR: Final = Path("tutor")
MAX_SENTENCE_CHARS: Final = 280

FRAMED_TENSES: Final[tuple[Tense, ...]] = tuple(t for t in TENSES if t != "infinitive")
THIRD_PERSON_SUBJECTS: Final[tuple[str, ...]] = ("he", "she", "Maria", "Tom", "Lucia", "Sam", "Ana")
#: Verbs whose complements also make sense with `it` (an animal, a machine, a plan).
SPANISH_SUBJECTS: Final[Mapping[str, str]] = {"she": "ella"}
IT_VERBS: Final[frozenset[str]] = frozenset({"work", "start", "be", "have", "eat", "come", "go"})

COMPLEMENTS: Final[Mapping[str, tuple[str, ...]]] = {
    "work": ("", "at home", "hard"),
    "play": ("", "football", "the piano"),
    "walk": ("", "to school", "in the park"),
    "talk": ("", "to the teacher", "about music"),
    "listen": ("", "to music", "to the radio"),
    "watch": ("", "TV", "a film"),
    "study": ("", "English", "for the exam"),
    "finish": ("", "the book", "the homework"),
    "start": ("", "the lesson", "at nine"),
    "look": ("", "at the map", "at the sky"),
    "want": ("a coffee", "a new bike"),
    "like": ("music", "the film"),
    "be": ("happy", "at home", "tired"),
    "have": ("a dog", "a big lunch"),
    "do": ("the homework", "the dishes"),
    "go": ("home", "to the market"),
    "come": ("home", "to the party"),
    "see": ("the film", "a bird"),
    "eat": ("", "an apple", "lunch"),
    "write": ("", "a letter", "an email"),
}
ADVERBS: Final[Mapping[str, tuple[str, ...]]] = {
    "present_simple": ("every day", "on Mondays"),
    "past_simple": ("yesterday", "last week"),
    "past_participle": ("today", "this week"),
    "future_will": ("tomorrow", "next week"),
    "future_going_to": ("tomorrow", "next week"),
}
POSITIONS: Final[tuple[str, ...]] = ("none", "initial", "final")

TUTOR_FIELDS: Final[tuple[str, ...]] = (
    "id",
    "text",
    "correct_text",
    "label",
    "error_type",
    "verb_lemma",
    "tense",
    "person",
    "subject",
    "complement",
    "adverb",
    "adverb_position",
    "spanish_form",
    "fingerprint",
)


@dataclass(frozen=True)
class Frame:
    """Everything around the verb group: who, what, when and where the adverb goes."""

    subject: str
    complement: str
    adverb: str
    position: str


def subjects_for(verb: str, person: Person) -> tuple[str, ...]:
    if person != "3sg":
        return (ENGLISH_PRONOUNS[person],)
    return (*THIRD_PERSON_SUBJECTS, "it") if verb in IT_VERBS else THIRD_PERSON_SUBJECTS


def frames(verb: str, tense: Tense, person: Person) -> Iterator[Frame]:
    for subject in subjects_for(verb, person):
        for complement in COMPLEMENTS[verb]:
            yield Frame(subject, complement, "", "none")
            for adverb in ADVERBS[tense]:
                for position in ("initial", "final"):
                    yield Frame(subject, complement, adverb, position)


def _core(verb: str, tense: Tense, person: Person) -> str:
    """The correct canonical clause (`he went`, `he has gone` for a participle cell)."""
    if tense == "past_participle":
        return english_present_perfect(verb, person)
    return conjugate_english(verb, tense, person)


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


def spanish_for(verb: str, tense: Tense, person: Person, subject: str) -> str:
    """The Spanish verb group for this subject: `ella fue`, `Maria fue`, `fue` for `it`, `le gusta`."""
    if tense == "past_participle":
        spanish = spanish_present_perfect(verb, person)
    else:
        spanish = conjugate_spanish(verb, tense, person)
    if person != "3sg" or subject == "he" or VERB_TABLE[verb].spanish_inverted:
        return spanish
    rest = spanish.removeprefix(SPANISH_PRONOUNS["3sg"] + " ")
    if subject == "it":
        return rest
    return f"{SPANISH_SUBJECTS.get(subject, subject)} {rest}"


def _pair(
    verb: str, tense: Tense, person: Person, frame: Frame, text: str, correct: str, code: str | None
) -> Row:
    return {
        "id": "",
        "text": text,
        "correct_text": correct,
        "label": "correct" if code is None else "mis_conjugated",
        "error_type": code,
        "verb_lemma": verb,
        "tense": tense,
        "person": person,
        "subject": frame.subject,
        "complement": frame.complement,
        "adverb": frame.adverb,
        "adverb_position": frame.position,
        "spanish_form": spanish_for(verb, tense, person, frame.subject),
        "fingerprint": fingerprint(text),
    }


def cell_pairs(verb: str, tense: Tense, person: Person) -> list[Row]:
    """Every framed sentence of one cell: the correct one and one per applicable error type."""
    core = _core(verb, tense, person)
    wrong = {code: wrong_core(code, verb, tense, person) for code in MIS_CONJUGATION_TYPES}
    pairs = []
    for frame in frames(verb, tense, person):
        correct = render(core, person, frame)
        pairs.append(_pair(verb, tense, person, frame, correct, correct, None))
        for code, clause in wrong.items():
            if clause is not None:
                pairs.append(
                    _pair(verb, tense, person, frame, render(clause, person, frame), correct, code)
                )
    return pairs


def generate_tutor_rows(seed: int = 42) -> list[Row]:
    """All pairs, deduplicated by fingerprint (first wins), shuffled by `seed`, ids 000001…"""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    rows: list[Row] = []
    seen: set[str] = set()
    for verb in VERB_TABLE:
        for tense in FRAMED_TENSES:
            for person in PERSONS:
                for row in cell_pairs(verb, tense, person):
                    if row["fingerprint"] not in seen:
                        seen.add(row["fingerprint"])
                        rows.append(row)
    random.Random(seed).shuffle(rows)
    for index, row in enumerate(rows, start=1):
        row["id"] = f"{index:06d}"
    return rows


# -------------------------------------------------------------------------------------- validation


def _frame_of(row: Row) -> Frame:
    return Frame(row["subject"], row["complement"], row["adverb"], row["adverb_position"])


def _tutor_problem(row: Row) -> str | None:
    try:
        missing = [name for name in TUTOR_FIELDS if name not in row]
        if missing:
            return f"missing {missing[0]}"
        verb, tense, person = row["verb_lemma"], row["tense"], row["person"]
        if verb not in VERB_TABLE or tense not in FRAMED_TENSES or person not in PERSONS:
            return "labels"
        frame = _frame_of(row)
        if row["correct_text"] != render(_core(verb, tense, person), person, frame):
            return "correct_text"
        if row["spanish_form"] != spanish_for(verb, tense, person, frame.subject):
            return "spanish_form"
        if row["label"] == "correct":
            ok = row["error_type"] is None and row["text"] == row["correct_text"]
            return None if ok else "label"
        if row["label"] != "mis_conjugated":
            return "label"
        clause = wrong_core(row["error_type"], verb, tense, person)
        if clause is None or row["text"] != render(clause, person, frame):
            return "text"
        return None
    except (KeyError, TypeError, ValueError):
        return "malformed"


def check_tutor_truth_table(rows: Sequence[Row]) -> CheckResult:
    """Every pair's labels, sentence and correction agree with the truth table and its frame."""
    failures = failing_rows(rows, lambda r: _tutor_problem(r) is not None)
    return make_result(
        "truth_table",
        failures,
        "every pair agrees with the truth table",
        "{n} pairs disagree with the truth table",
    )


def check_tutor_unique(rows: Sequence[Row]) -> CheckResult:
    counts = Counter(text_field(row, "fingerprint") for row in rows)
    failures = failing_rows(
        rows,
        lambda r: (
            counts[text_field(r, "fingerprint")] > 1
            or text_field(r, "fingerprint") != fingerprint(str(r.get("text")))
        ),
    )
    return make_result(
        "no_duplicates", failures, "all sentences unique", "{n} duplicated sentences"
    )


def check_tutor_nfc_and_length(rows: Sequence[Row]) -> CheckResult:
    def bad(row: Row) -> bool:
        texts = [row.get("text"), row.get("correct_text"), row.get("spanish_form")]
        return any(
            not isinstance(t, str)
            or not t
            or len(t) > MAX_SENTENCE_CHARS
            or not unicodedata.is_normalized("NFC", t)
            for t in texts
        )

    return make_result(
        "nfc_and_length",
        failing_rows(rows, bad),
        f"all strings NFC, 1..{MAX_SENTENCE_CHARS} characters",
        "{n} pairs with non-NFC, empty or over-long strings",
    )


def check_tutor_coverage(rows: Sequence[Row]) -> CheckResult:
    """Every framed cell has correct sentences and every applicable (cell, error type) appears."""
    present = {
        (
            text_field(r, "verb_lemma"),
            text_field(r, "tense"),
            text_field(r, "person"),
            text_field(r, "error_type"),
        )
        for r in rows
    }
    missing = []
    for verb in VERB_TABLE:
        for tense in FRAMED_TENSES:
            for person in PERSONS:
                wanted: list[str | None] = [None]
                wanted += [c for c in MIS_CONJUGATION_TYPES if wrong_core(c, verb, tense, person)]
                missing += [
                    f"{verb}:{tense}:{person}:{code or 'correct'}"
                    for code in wanted
                    if (verb, tense, person, code) not in present
                ]
    return make_result(
        "coverage",
        missing,
        "every cell and every applicable error type covered",
        "{n} (cell, type) combinations missing",
    )


def validate_tutor_rows(rows: Sequence[Row]) -> ValidationReport:
    checks = (
        check_tutor_unique(rows),
        check_tutor_nfc_and_length(rows),
        check_tutor_truth_table(rows),
        check_tutor_coverage(rows),
    )
    return ValidationReport(checks, len(rows))


# ------------------------------------------------------------------------------------------- build


def build_tutor_set(out_dir: Path, *, seed: int, corpus_split: Split) -> dict[str, Any]:
    """Generate, validate and split the tutor set into `out_dir/tutor/`; returns its manifest."""
    rows = generate_tutor_rows(seed)
    report = validate_tutor_rows(rows)
    if not report.passed:
        raise LynxError(
            "tutor set failed validation: "
            + "; ".join(line for line in report.summary_lines() if line.startswith("FAIL"))
        )
    parts: dict[str, list[Row]] = {name: [] for name in SPLIT_NAMES}
    for row in rows:
        parts[corpus_split.assignment[(row["verb_lemma"], row["tense"])]].append(row)
    folder = out_dir / TUTOR_DIR
    written = [write_jsonl(folder / "all_pairs.jsonl", rows)]
    written += [write_jsonl(folder / f"{name}.jsonl", parts[name]) for name in SPLIT_NAMES]
    by_type = Counter(row["error_type"] for row in rows if row["error_type"] is not None)
    manifest = {
        "corpus_name": TUTOR_NAME,
        "version": TUTOR_VERSION,
        "seed": seed,
        "split": "default split of the v1 corpus, by (verb, tense)",
        "files": {p.relative_to(out_dir).as_posix(): file_entry(p) for p in sorted(written)},
        "total_pairs": len(rows),
        "total_correct": sum(1 for row in rows if row["error_type"] is None),
        "total_mis_conjugated": sum(by_type.values()),
        "mis_conjugation_counts_by_type": {c: by_type.get(c, 0) for c in MIS_CONJUGATION_TYPES},
        "rows_per_split": {name: len(parts[name]) for name in SPLIT_NAMES},
        "validation": {check.name: check.passed for check in report.checks},
    }
    write_json_atomic(folder / "MANIFEST.json", manifest)
    return manifest
