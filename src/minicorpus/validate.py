"""The corpus validator: the seed's twelve row checks, a truth-table check, and the post-split leakage check.

Each check is its own function taking the rows and returning a `CheckResult` (passed, the ids of the failing
rows, a one-line message), so a test can break exactly one rule and watch exactly one check fail, and a
report can say which rows to look at.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from minicorpus.conjugate import conjugate_english, conjugate_spanish
from minicorpus.mis_conjugate import MIS_CONJUGATION_TYPES, correct_form_for, mis_conjugate
from minicorpus.rows import Row, fingerprint, row_label
from minicorpus.schema import schema_errors
from minicorpus.verb_table import PERSON_INVARIANT_TENSES, PERSONS, TENSES, VERB_TABLE

ENGLISH_BYTES: Final = (2, 30)
SPANISH_BYTES: Final = (2, 40)
MAX_LISTED_FAILURES: Final = 20


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict; `failures` are row ids (or missing cells/keys for coverage checks)."""

    name: str
    passed: bool
    failures: tuple[str, ...]
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "failures": list(self.failures),
            "message": self.message,
        }


@dataclass(frozen=True)
class ValidationReport:
    checks: tuple[CheckResult, ...]
    rows: int = 0

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def failed(self) -> list[CheckResult]:
        return [check for check in self.checks if not check.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "rows": self.rows,
            "checks": [check.to_dict() for check in self.checks],
        }

    def summary_lines(self) -> list[str]:
        """One line per check, failing rows named (the first few)."""
        lines = []
        for check in self.checks:
            status = "PASS" if check.passed else "FAIL"
            line = f"{status}  {check.name}: {check.message}"
            if check.failures:
                shown = ", ".join(check.failures[:MAX_LISTED_FAILURES])
                more = len(check.failures) - MAX_LISTED_FAILURES
                line += f" [{shown}{f', … {more} more' if more > 0 else ''}]"
            lines.append(line)
        return lines


def text_field(row: Row, name: str) -> str | None:
    """A field as a hashable string for sets and counters: JSON text for a non-string, None if absent."""
    value = row.get(name)
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def make_result(name: str, failures: Sequence[str], ok: str, bad: str) -> CheckResult:
    unique = tuple(dict.fromkeys(failures))
    return CheckResult(
        name, not unique, unique, ok if not unique else bad.replace("{n}", str(len(unique)))
    )


def failing_rows(rows: Sequence[Row], predicate: Callable[[Row], bool]) -> list[str]:
    return [row_label(row, i) for i, row in enumerate(rows) if predicate(row)]


def _correct(rows: Sequence[Row]) -> list[Row]:
    return [row for row in rows if text_field(row, "label") == "correct"]


# ---------------------------------------------------------------------------------- the twelve checks


def check_schema_valid(rows: Sequence[Row], schema: Mapping[str, Any]) -> CheckResult:
    """1. Every row satisfies the JSON Schema embedded in the corpus spec."""
    failures = []
    first = ""
    for i, row in enumerate(rows):
        errors = schema_errors(row, schema)
        if errors:
            failures.append(row_label(row, i))
            first = first or f"{row_label(row, i)}: {errors[0]}"
    return make_result(
        "schema_valid",
        failures,
        "every row matches the spec's schema",
        f"{{n}} rows violate the schema (first: {first})",
    )


def check_no_duplicates(rows: Sequence[Row]) -> CheckResult:
    """2. Fingerprints are unique, and each is sha256 of the normalised text (a stale one would hide a dup)."""
    counts = Counter(text_field(row, "fingerprint") for row in rows)
    failures = failing_rows(
        rows,
        lambda r: (
            counts[text_field(r, "fingerprint")] > 1
            or not isinstance(r.get("text"), str)
            or text_field(r, "fingerprint") != fingerprint(r["text"])
        ),
    )
    return make_result(
        "no_duplicates",
        failures,
        "all fingerprints unique and correct",
        "{n} rows share a fingerprint or carry a wrong one",
    )


def check_cell_coverage(rows: Sequence[Row]) -> CheckResult:
    """3. All 360 (verb, tense, person) cells have a correct row; a person-null row covers all three."""
    covered: set[tuple[str, str, str]] = set()
    for row in _correct(rows):
        persons = PERSONS if text_field(row, "person") is None else (text_field(row, "person"),)
        for person in persons:
            covered.add(
                (str(text_field(row, "verb_lemma")), str(text_field(row, "tense")), str(person))
            )
    missing = [
        f"{verb}:{tense}:{person}"
        for verb in VERB_TABLE
        for tense in TENSES
        for person in PERSONS
        if (verb, tense, person) not in covered
    ]
    return make_result(
        "cell_coverage",
        missing,
        "all 360 cells have a correct row",
        "{n} of 360 cells have no correct row",
    )


def check_all_verbs(rows: Sequence[Row]) -> CheckResult:
    """4. The set of verbs is exactly the table's 20 (missing verbs and strangers both fail)."""
    present = {text_field(row, "verb_lemma") for row in rows}
    missing = [f"missing:{verb}" for verb in VERB_TABLE if verb not in present]
    strangers = failing_rows(rows, lambda r: text_field(r, "verb_lemma") not in VERB_TABLE)
    return make_result(
        "all_verbs",
        missing + strangers,
        "all 20 verbs present, no others",
        "{n} problems with the verb set (missing verbs or unknown ones)",
    )


def check_all_tenses(rows: Sequence[Row]) -> CheckResult:
    """5. Every verb has a correct row in each of the 6 tense surfaces."""
    seen: dict[str, set[str]] = defaultdict(set)
    for row in _correct(rows):
        seen[str(text_field(row, "verb_lemma"))].add(str(text_field(row, "tense")))
    missing = [
        f"{verb}:{tense}" for verb in VERB_TABLE for tense in TENSES if tense not in seen[verb]
    ]
    return make_result(
        "all_tenses",
        missing,
        "every verb has all 6 tense surfaces",
        "{n} (verb, tense) pairs have no correct row",
    )


def check_all_persons(rows: Sequence[Row]) -> CheckResult:
    """6. Each (verb, tense) has its 3 persons; infinitive and participle exactly one person-null row."""
    seen: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in _correct(rows):
        seen[(str(text_field(row, "verb_lemma")), str(text_field(row, "tense")))].append(
            text_field(row, "person")
        )
    failures = []
    for verb in VERB_TABLE:
        for tense in TENSES:
            persons = seen[(verb, tense)]
            expected: list[Any] = [None] if tense in PERSON_INVARIANT_TENSES else list(PERSONS)
            if sorted(persons, key=str) != sorted(expected, key=str):
                failures.append(f"{verb}:{tense}")
    return make_result(
        "all_persons",
        failures,
        "3 persons per (verb, tense); one person-null row for infinitive/participle",
        "{n} (verb, tense) pairs have the wrong persons",
    )


def check_mis_types(rows: Sequence[Row]) -> CheckResult:
    """7. Every mis-conjugation type is one of the six codes."""
    failures = failing_rows(
        rows,
        lambda r: (
            text_field(r, "mis_conjugation_type") is not None
            and text_field(r, "mis_conjugation_type") not in MIS_CONJUGATION_TYPES
        ),
    )
    return make_result(
        "mis_types_canonical",
        failures,
        "all error types in the closed taxonomy",
        "{n} rows carry an unknown error type",
    )


def _filled(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def check_mis_has_correction(rows: Sequence[Row]) -> CheckResult:
    """8. A mis-conjugated row names its error type and a non-empty correct form."""
    failures = failing_rows(
        rows,
        lambda r: (
            text_field(r, "label") == "mis_conjugated"
            and not (
                _filled(r.get("correct_form")) and _filled(text_field(r, "mis_conjugation_type"))
            )
        ),
    )
    return make_result(
        "mis_has_correction",
        failures,
        "every wrong row has a type and a correction",
        "{n} wrong rows lack a type or a correction",
    )


def check_correct_has_no_error(rows: Sequence[Row]) -> CheckResult:
    """9. A correct row has neither error type nor correction."""
    failures = failing_rows(
        rows,
        lambda r: (
            text_field(r, "label") == "correct"
            and (
                text_field(r, "mis_conjugation_type") is not None
                or r.get("correct_form") is not None
            )
        ),
    )
    return make_result(
        "correct_has_no_error",
        failures,
        "no correct row carries error fields",
        "{n} correct rows carry an error type or a correction",
    )


def check_spanish_present(rows: Sequence[Row]) -> CheckResult:
    """10. Every row has a non-empty Spanish translation."""
    failures = failing_rows(rows, lambda r: not _filled(r.get("spanish")))
    return make_result(
        "spanish_present", failures, "every row has Spanish", "{n} rows lack Spanish"
    )


def _not_nfc(value: Any) -> bool:
    return isinstance(value, str) and not unicodedata.is_normalized("NFC", value)


def check_nfc(rows: Sequence[Row]) -> CheckResult:
    """11. text, spanish and correct_form are NFC (a decomposed `é` would tokenise differently)."""
    failures = failing_rows(
        rows, lambda r: any(_not_nfc(r.get(key)) for key in ("text", "spanish", "correct_form"))
    )
    return make_result("nfc", failures, "all strings NFC-normalised", "{n} rows hold non-NFC text")


def _bytes_out_of(value: Any, bounds: tuple[int, int]) -> bool:
    if not isinstance(value, str):
        return True
    low, high = bounds
    return not low <= len(value.encode("utf-8")) <= high


def check_lengths(rows: Sequence[Row]) -> CheckResult:
    """12. UTF-8 byte lengths within bounds: English 2..30, Spanish 2..40."""
    failures = failing_rows(
        rows,
        lambda r: (
            _bytes_out_of(r.get("text"), ENGLISH_BYTES)
            or _bytes_out_of(r.get("spanish"), SPANISH_BYTES)
        ),
    )
    return make_result(
        "lengths",
        failures,
        "lengths within EN 2..30 / ES 2..40 bytes",
        "{n} rows out of the byte-length bounds",
    )


# ------------------------------------------------------------------------------- beyond the twelve


def _truth_table_problem(row: Row) -> str | None:
    """Why `row` disagrees with the truth table, or None when it agrees."""
    try:
        verb, tense, person = row["verb_lemma"], row["tense"], row["person"]
        entry = VERB_TABLE[verb]
        if entry.spanish_lemma != row["spanish_lemma"]:
            return "spanish_lemma"
        if entry.english_regularity != row["english_regularity"]:
            return "english_regularity"
        if entry.spanish_regularity != row["spanish_regularity"]:
            return "spanish_regularity"
        if row["label"] == "correct":
            if tense in PERSON_INVARIANT_TENSES and person is not None:
                return "person"
            if row["text"] != conjugate_english(verb, tense, person):
                return "text"
            return "spanish" if row["spanish"] != conjugate_spanish(verb, tense, person) else None
        code = row["mis_conjugation_type"]
        candidates = [person] if person is not None else [None, *PERSONS]
        for subject in candidates:
            if mis_conjugate(code, entry, tense, subject) == row["text"]:
                correction = correct_form_for(code, entry, tense, subject)
                return None if row["correct_form"] == correction else "correct_form"
        return "text"
    except (KeyError, TypeError, ValueError):
        return "labels"


def check_truth_table(rows: Sequence[Row]) -> CheckResult:
    """13. Labels agree with the truth table: a correct row's text is the table's form for its
    (verb, tense, person), a wrong row's text is what its error type produces, its correction the table's."""
    failures = []
    first = ""
    for i, row in enumerate(rows):
        problem = _truth_table_problem(row)
        if problem is not None:
            failures.append(row_label(row, i))
            first = first or f"{row_label(row, i)} ({problem})"
    return make_result(
        "truth_table",
        failures,
        "every row agrees with the truth table",
        f"{{n}} rows disagree with the truth table (first: {first})",
    )


RowCheck = Callable[[Sequence[Row]], CheckResult]

ROW_CHECKS: Final[tuple[RowCheck, ...]] = (
    check_no_duplicates,
    check_cell_coverage,
    check_all_verbs,
    check_all_tenses,
    check_all_persons,
    check_mis_types,
    check_mis_has_correction,
    check_correct_has_no_error,
    check_spanish_present,
    check_nfc,
    check_lengths,
    check_truth_table,
)


def validate_rows(rows: Sequence[Row], schema: Mapping[str, Any]) -> ValidationReport:
    """Run the schema check and every row check (never stops at the first failure)."""
    checks = (check_schema_valid(rows, schema), *(check(rows) for check in ROW_CHECKS))
    return ValidationReport(checks=checks, rows=len(rows))


# ---------------------------------------------------------------------------------------- splits


def check_split_leakage(splits: Mapping[str, Sequence[Row]]) -> CheckResult:
    """Post-split: no fingerprint and no (verb, tense) key in two splits."""
    owner_of_fp: dict[str, str] = {}
    owner_of_key: dict[tuple[str, str], str] = {}
    failures: list[str] = []
    for name, rows in splits.items():
        for i, row in enumerate(rows):
            fp = str(text_field(row, "fingerprint"))
            key = (str(text_field(row, "verb_lemma")), str(text_field(row, "tense")))
            if owner_of_fp.setdefault(fp, name) != name:
                failures.append(f"{name}:{row_label(row, i)}")
            if owner_of_key.setdefault(key, name) != name:
                failures.append(f"{name}:{key[0]}:{key[1]}")
    return make_result(
        "split_leakage",
        failures,
        "no fingerprint or (verb, tense) key crosses splits",
        "{n} rows or keys appear in more than one split",
    )


def check_split_complete(
    all_rows: Sequence[Row], splits: Mapping[str, Sequence[Row]]
) -> CheckResult:
    """Post-split: the splits together hold exactly the input rows, each once."""
    wanted = Counter(str(text_field(row, "fingerprint")) for row in all_rows)
    got = Counter(str(text_field(row, "fingerprint")) for rows in splits.values() for row in rows)
    failures = sorted((wanted - got) | (got - wanted))
    return make_result(
        "split_complete",
        failures,
        "split sizes sum to the input, every row once",
        "{n} rows lost or duplicated by the split",
    )
