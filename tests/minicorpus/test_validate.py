"""Each validator check: passes on the clean corpus, fails on exactly the violation it is for."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minicorpus.rows import ROW_FIELDS, fingerprint
from minicorpus.split import stratified_split_by_verb_tense
from minicorpus.validate import check_split_complete, check_split_leakage, validate_rows

Rows = list[dict[str, Any]]


def _find(rows: Rows, **match: Any) -> dict[str, Any]:
    return next(r for r in rows if all(r[k] == v for k, v in match.items()))


def _set(row: dict[str, Any], **values: Any) -> None:
    row.update(values)
    if "text" in values:
        row["fingerprint"] = fingerprint(row["text"])


def drop_extra_field(rows: Rows) -> str:
    rows[0]["comment"] = "x"
    return rows[0]["id"]


def duplicate_row(rows: Rows) -> str:
    rows.append({**rows[0], "id": "9999"})
    return "9999"


def stale_fingerprint(rows: Rows) -> str:
    rows[3]["fingerprint"] = "0" * 64
    return rows[3]["id"]


def remove_cell(rows: Rows) -> str:
    row = _find(rows, text="he goes")
    rows.remove(row)
    return "go:present_simple:3sg"


def remove_verb(rows: Rows) -> str:
    rows[:] = [r for r in rows if r["verb_lemma"] != "write"]
    return "missing:write"


def remove_tense(rows: Rows) -> str:
    rows[:] = [r for r in rows if (r["verb_lemma"], r["tense"]) != ("see", "infinitive")]
    return "see:infinitive"


def infinitive_with_person(rows: Rows) -> str:
    row = _find(rows, text="to go")
    row["person"] = "1sg"
    return row["id"]


def unknown_type(rows: Rows) -> str:
    row = _find(rows, label="mis_conjugated")
    row["mis_conjugation_type"] = "typo"
    return row["id"]


def wrong_without_correction(rows: Rows) -> str:
    row = _find(rows, label="mis_conjugated")
    row["correct_form"] = ""
    return row["id"]


def correct_with_correction(rows: Rows) -> str:
    row = _find(rows, label="correct")
    row["correct_form"] = row["text"]
    return row["id"]


def empty_spanish(rows: Rows) -> str:
    row = _find(rows, text="he works")
    row["spanish"] = " "
    return row["id"]


def nfd_spanish(rows: Rows) -> str:
    row = _find(rows, text="he works")
    row["spanish"] = unicodedata.normalize("NFD", "él trabaja")
    return row["id"]


def too_long(rows: Rows) -> str:
    row = _find(rows, label="correct", tense="future_going_to")
    row["spanish"] = row["spanish"] + " " + "muy " * 10
    return row["id"]


def wrong_tense_label(rows: Rows) -> str:
    row = _find(rows, text="I went")
    row["tense"] = "present_simple"
    return row["id"]


def wrong_correction(rows: Rows) -> str:
    row = _find(rows, mis_conjugation_type="overregularization_past", person="1sg")
    row["correct_form"] = "I goes"
    return row["id"]


CASES: list[tuple[Callable[[Rows], str], set[str]]] = [
    (drop_extra_field, {"schema_valid"}),
    (duplicate_row, {"no_duplicates"}),
    (stale_fingerprint, {"no_duplicates"}),
    (remove_cell, {"cell_coverage", "all_persons"}),
    (remove_verb, {"cell_coverage", "all_verbs", "all_tenses", "all_persons"}),
    (remove_tense, {"cell_coverage", "all_tenses", "all_persons"}),
    (infinitive_with_person, {"schema_valid", "cell_coverage", "all_persons", "truth_table"}),
    (unknown_type, {"schema_valid", "mis_types_canonical", "truth_table"}),
    (wrong_without_correction, {"schema_valid", "mis_has_correction", "truth_table"}),
    (correct_with_correction, {"schema_valid", "correct_has_no_error"}),
    (empty_spanish, {"spanish_present", "lengths", "truth_table"}),
    (nfd_spanish, {"nfc", "truth_table"}),
    (too_long, {"lengths", "truth_table"}),
    (wrong_tense_label, {"cell_coverage", "all_persons", "truth_table"}),
    (wrong_correction, {"truth_table"}),
]


def test_clean_corpus_passes(rows42: Rows, schema: dict[str, Any]) -> None:
    report = validate_rows(rows42, schema)
    assert report.passed
    assert len(report.checks) == 13
    assert report.to_dict()["passed"] is True


@pytest.mark.parametrize(("corrupt", "expected"), CASES, ids=[c.__name__ for c, _ in CASES])
def test_each_violation_fails_its_check(
    corrupt: Callable[[Rows], str], expected: set[str], rows42: Rows, schema: dict[str, Any]
) -> None:
    culprit = corrupt(rows42)
    report = validate_rows(rows42, schema)
    failed = {check.name for check in report.failed}
    assert failed == expected
    assert any(culprit in check.failures for check in report.failed)
    assert any(line.startswith("FAIL") and culprit in line for line in report.summary_lines())


def test_split_checks(rows42: Rows) -> None:
    split = stratified_split_by_verb_tense(rows42)
    assert check_split_leakage(split.rows).passed
    assert check_split_complete(rows42, split.rows).passed
    leaked = {**split.rows, "test": [*split.rows["test"], split.rows["train"][0]]}
    result = check_split_leakage(leaked)
    assert not result.passed
    assert f"test:{split.rows['train'][0]['id']}" in result.failures
    assert not check_split_complete(rows42, leaked).passed
    lost = {**split.rows, "val": split.rows["val"][1:]}
    assert not check_split_complete(rows42, lost).passed


_JSON = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=8)
    | st.lists(st.integers(), max_size=2)
)


@settings(max_examples=40, deadline=None)
@given(
    junk=st.lists(
        st.dictionaries(st.sampled_from(ROW_FIELDS), _JSON, max_size=len(ROW_FIELDS)), max_size=5
    )
)
def test_validator_never_crashes_on_junk(junk: Rows, schema: dict[str, Any]) -> None:
    report = validate_rows(junk, schema)
    assert not report.passed  # junk never covers the 360 cells
    assert {"cell_coverage", "all_verbs"} <= {c.name for c in report.failed}
