"""The tutor set's validator: row checks, the Spanish copula check, and the split invariants.

Like the v1 validator each check is a function returning a `CheckResult` naming the failing rows, so a test
can corrupt one thing and watch one check fail. The truth-table check re-renders every sentence; the copula
check does not trust the renderer: it reads the Spanish words and compares them with hand-written lists of
`ser` and `estar` forms and the complement's gendered form.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Final

from minicorpus.frames import ADVERBS, COMPLEMENTS, complement, subject_gender, subjects_for
from minicorpus.mis_conjugate import MIS_CONJUGATION_TYPES
from minicorpus.rows import Row
from minicorpus.spanish import spanish_sentence
from minicorpus.split import SPLIT_NAMES
from minicorpus.tutor import (
    FRAMED_CELLS,
    FRAMED_TENSES,
    MAX_SENTENCE_CHARS,
    TUTOR_FIELDS,
    applicable_errors,
    correct_core,
    frame_of,
    render,
    rows_by_frame,
    wrong_core,
)
from minicorpus.tutor_split import unseen_atoms, words
from minicorpus.validate import (
    CheckResult,
    ValidationReport,
    failing_rows,
    make_result,
    text_field,
)
from minicorpus.verb_table import PERSONS, VERB_TABLE

#: Every form of each Spanish `be` the set can use, written out by hand (present, imperfect, participle,
#: future, and the infinitive after `va a`).
SER_FORMS: Final = frozenset(
    {"soy", "eres", "es", "era", "eras", "sido", "seré", "serás", "será", "ser"}
)
ESTAR_FORMS: Final = frozenset(
    {
        "estoy",
        "estás",
        "está",
        "estaba",
        "estabas",
        "estado",
        "estaré",
        "estarás",
        "estará",
        "estar",
    }
)
_STRING_FIELDS: Final = tuple(f for f in TUTOR_FIELDS if f != "error_type")


# ------------------------------------------------------------------------------------------ rows


def _fields_problem(row: Row) -> bool:
    if set(row) != set(TUTOR_FIELDS):
        return True
    if any(not isinstance(row[name], str) for name in _STRING_FIELDS):
        return True
    return row["error_type"] is not None and not isinstance(row["error_type"], str)


def check_tutor_fields(rows: Sequence[Row]) -> CheckResult:
    """Exactly the documented fields, all strings (error_type may be null)."""
    return make_result(
        "fields",
        failing_rows(rows, _fields_problem),
        f"every row has exactly the {len(TUTOR_FIELDS)} fields",
        "{n} rows with missing, extra or mistyped fields",
    )


def check_tutor_unique(rows: Sequence[Row]) -> CheckResult:
    texts = Counter(str(row.get("text")) for row in rows)
    ids = Counter(text_field(row, "id") for row in rows)
    failures = failing_rows(
        rows,
        lambda r: texts[str(r.get("text"))] > 1 or ids[text_field(r, "id")] > 1,
    )
    return make_result(
        "no_duplicates", failures, "all sentences and ids unique", "{n} duplicated sentences or ids"
    )


def check_tutor_nfc_and_length(rows: Sequence[Row]) -> CheckResult:
    def bad(row: Row) -> bool:
        texts = [row.get("text"), row.get("correct_text"), row.get("spanish")]
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
        "{n} rows with non-NFC, empty or over-long strings",
    )


def _frame_problem(row: Row) -> str | None:
    """Why the row's frame is not one the tables allow (None when it is)."""
    verb, tense, person = row["verb_lemma"], row["tense"], row["person"]
    frame = frame_of(row)
    if frame.subject not in subjects_for(person):
        return "subject"
    if frame.complement not in {c.english for c in COMPLEMENTS[verb]}:
        return "complement"
    if frame.position == "none":
        return None if frame.adverb == "" else "adverb"
    if frame.position not in ("initial", "final"):
        return "position"
    return None if frame.adverb in {a for a, _ in ADVERBS[tense]} else "adverb"


def _truth_problem(row: Row) -> str | None:
    try:
        verb, tense, person = row["verb_lemma"], row["tense"], row["person"]
        if verb not in VERB_TABLE or tense not in FRAMED_TENSES or person not in PERSONS:
            return "labels"
        if row["regularity"] != VERB_TABLE[verb].english_regularity:
            return "regularity"
        problem = _frame_problem(row)
        if problem:
            return problem
        frame = frame_of(row)
        if row["correct_text"] != render(correct_core(verb, tense, person), person, frame):
            return "correct_text"
        if row["spanish"] != spanish_sentence(verb, tense, person, frame):
            return "spanish"
        if row["error_type"] is None:
            return None if row["text"] == row["correct_text"] else "text"
        clause = wrong_core(row["error_type"], verb, tense, person)
        if clause is None or row["text"] != render(clause, person, frame):
            return "text"
        return None
    except (KeyError, TypeError, ValueError):
        return "malformed"


def check_tutor_truth_table(rows: Sequence[Row]) -> CheckResult:
    """Every row's sentence, correction and Spanish agree with the truth table and its frame."""
    return make_result(
        "truth_table",
        failing_rows(rows, lambda r: _truth_problem(r) is not None),
        "every row agrees with the truth table and its frame",
        "{n} rows disagree with the truth table",
    )


def copula_problem(row: Row) -> str | None:
    """For a `be` row: the wrong Spanish copula, or an adjective/profession of the wrong gender."""
    try:
        if row["verb_lemma"] != "be":
            return None
        item = complement("be", row["complement"])
        spanish = set(words(row["spanish"].lower()))
        wanted, other = (
            (SER_FORMS, ESTAR_FORMS) if item.copula == "ser" else (ESTAR_FORMS, SER_FORMS)
        )
        if item.copula is None or not spanish & wanted or spanish & other:
            return "copula"
        gender = subject_gender(row["subject"])
        right = item.spanish_for(gender)
        wrong = item.spanish_for("feminine" if gender == "masculine" else "masculine")
        if right.lower() not in " ".join(words(row["spanish"].lower())):
            return "agreement"
        if wrong != right and wrong.lower() in spanish:
            return "agreement"
        return None
    except (KeyError, TypeError, AttributeError):
        return "malformed"


def check_copula_and_agreement(rows: Sequence[Row]) -> CheckResult:
    """Spanish `be` is estar for places and states, ser for identity; its complement agrees in gender."""
    return make_result(
        "copula_and_agreement",
        failing_rows(rows, lambda r: copula_problem(r) is not None),
        "every `be` frame has the right copula and agreement",
        "{n} `be` rows with the wrong copula or agreement",
    )


def check_frames_complete(rows: Sequence[Row]) -> CheckResult:
    """Each frame has one correct row and one row per applicable error type, all with one Spanish."""
    bad: list[str] = []
    for frame, group in sorted(rows_by_frame(rows).items()):
        try:
            first = group[0]
            cell = (first["verb_lemma"], first["tense"], first["person"])
            codes = sorted(str(row["error_type"]) for row in group)
            expected = sorted([str(None), *applicable_errors(*cell)])
            same = all(
                (row["verb_lemma"], row["tense"], row["person"], row["spanish"])
                == (*cell, first["spanish"])
                for row in group
            )
        except (KeyError, TypeError, ValueError):
            same, codes, expected = False, [], ["?"]
        if codes != expected or not same:
            bad.append(frame)
    return make_result(
        "frames_complete",
        bad,
        "every frame has its correct sentence and all its error variants, one Spanish",
        "{n} frames incomplete or inconsistent",
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
    missing = [
        f"{verb}:{tense}:{person}:{code or 'correct'}"
        for verb, tense, person in FRAMED_CELLS
        for code in (None, *applicable_errors(verb, tense, person))
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
        check_tutor_fields(rows),
        check_tutor_unique(rows),
        check_tutor_nfc_and_length(rows),
        check_tutor_truth_table(rows),
        check_copula_and_agreement(rows),
        check_frames_complete(rows),
        check_tutor_coverage(rows),
    )
    return ValidationReport(checks, len(rows))


# ---------------------------------------------------------------------------------------- splits


def _named(check: CheckResult, split: str) -> CheckResult:
    return CheckResult(f"{check.name}[{split}]", check.passed, check.failures, check.message)


def check_split_complete(rows: Sequence[Row], parts: Mapping[str, Sequence[Row]]) -> CheckResult:
    """Every row is in exactly one part."""
    counts = Counter(text_field(row, "id") for name in SPLIT_NAMES for row in parts[name])
    bad = [str(row.get("id")) for row in rows if counts[text_field(row, "id")] != 1]
    bad += sorted(str(k) for k in set(counts) - {text_field(r, "id") for r in rows})
    return make_result(
        "complete", bad, "every row in exactly one split", "{n} rows missing or repeated"
    )


def check_frame_leakage(parts: Mapping[str, Sequence[Row]]) -> CheckResult:
    """No frame (correct sentence) and no sentence is in two splits."""
    owner: dict[str, set[str]] = {}
    for name in SPLIT_NAMES:
        for row in parts[name]:
            owner.setdefault("frame:" + str(row.get("correct_text")), set()).add(name)
            owner.setdefault("text:" + str(row.get("text")), set()).add(name)
    leaked = sorted(key for key, names in owner.items() if len(names) > 1)
    return make_result(
        "no_leakage", leaked, "no frame or sentence in two splits", "{n} frames or sentences leak"
    )


def check_seen_in_train(parts: Mapping[str, Sequence[Row]]) -> CheckResult:
    """Every word, subject, complement, adverb, verb+complement and cell of val/test occurs in train."""
    missing = [
        f"{name}:{'/'.join(atom)}" for name, found in unseen_atoms(parts).items() for atom in found
    ]
    return make_result(
        "seen_in_train",
        missing,
        "every part of val and test occurs in train",
        "{n} parts of val/test never occur in train",
    )


def check_cells_in_train(parts: Mapping[str, Sequence[Row]]) -> CheckResult:
    present = {(r.get("verb_lemma"), r.get("tense"), r.get("person")) for r in parts["train"]}
    missing = [":".join(cell) for cell in FRAMED_CELLS if cell not in present]
    return make_result(
        "cells_in_train", missing, "every cell in train", "{n} cells missing from train"
    )


def check_error_types_heldout(parts: Mapping[str, Sequence[Row]]) -> CheckResult:
    missing = [
        f"{name}:{code}"
        for name in ("val", "test")
        for code in MIS_CONJUGATION_TYPES
        if all(row.get("error_type") != code for row in parts[name])
    ]
    return make_result(
        "error_types_heldout",
        missing,
        "every error type in val and test",
        "{n} (split, error type) pairs missing",
    )


def frame_split_checks(
    rows: Sequence[Row], parts: Mapping[str, Sequence[Row]]
) -> list[CheckResult]:
    """The main split's invariants (DESIGN: the tutor's in-distribution test)."""
    checks = (
        check_split_complete(rows, parts),
        check_frame_leakage(parts),
        check_seen_in_train(parts),
        check_cells_in_train(parts),
        check_error_types_heldout(parts),
    )
    return [_named(check, "frames") for check in checks]


def check_key_grain(parts: Mapping[str, Sequence[Row]]) -> CheckResult:
    """Every (verb, tense) key lies in one part: the grain of the v1 assignments."""
    owner: dict[str, set[str]] = {}
    for name in SPLIT_NAMES:
        for row in parts[name]:
            owner.setdefault(f"{row.get('verb_lemma')}:{row.get('tense')}", set()).add(name)
    split_keys = sorted(key for key, names in owner.items() if len(names) > 1)
    return make_result(
        "key_grain",
        split_keys,
        "every (verb, tense) key in one part",
        "{n} keys split across parts",
    )


def experiment_split_checks(
    name: str, rows: Sequence[Row], parts: Mapping[str, Sequence[Row]]
) -> list[CheckResult]:
    """A generalisation split promises completeness, its grain and no leakage; unseen parts are its point."""
    checks = (
        check_split_complete(rows, parts),
        check_key_grain(parts),
        check_frame_leakage(parts),
    )
    return [_named(check, name) for check in checks]
