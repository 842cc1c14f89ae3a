"""The generator against the seed's targets, and its properties over many seeds."""

from __future__ import annotations

import unicodedata
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minicorpus.generate import corpus_cells, generate_rows
from minicorpus.rows import dumps_jsonl, fingerprint, normalize
from minicorpus.validate import validate_rows

Rows = list[dict[str, Any]]


def test_counts_meet_the_targets(rows42: Rows) -> None:
    correct = [r for r in rows42 if r["label"] == "correct"]
    wrong = [r for r in rows42 if r["label"] == "mis_conjugated"]
    assert len(correct) == 280 == 20 * (4 * 3 + 2)
    assert len({r["text"] for r in correct}) == 280
    assert len(wrong) >= 100
    assert len({r["mis_conjugation_type"] for r in wrong}) >= 4
    assert len(rows42) >= 460  # the seed's "≥ 460 rows"


def test_every_type_is_represented_at_seed_42(rows42: Rows) -> None:
    counts = Counter(r["mis_conjugation_type"] for r in rows42 if r["label"] == "mis_conjugated")
    assert len(counts) == 6
    assert counts["missing_third_person_s"] == 20  # one per verb: the only eligible type there
    assert counts["wrong_aux_will_with_to"] == 60  # every future_will cell


def test_ids_and_seeds(rows42: Rows) -> None:
    assert [r["id"] for r in rows42] == [f"{i:04d}" for i in range(1, len(rows42) + 1)]
    assert all(r["seed"] == 42_000 + int(r["id"]) for r in rows42)


def test_examples_from_the_seed(rows42: Rows) -> None:
    by_text = {r["text"]: r for r in rows42}
    assert by_text["he works"]["spanish"] == "él trabaja"
    assert by_text["he ate"]["spanish"] == "él comió"
    assert by_text["you are going to go"]["spanish"] == "tú vas a ir"
    assert by_text["to work"]["person"] is None
    assert by_text["worked"]["person"] is None
    assert by_text["I like"]["spanish"] == "me gusta"


def test_wrong_rows_carry_the_intended_spanish(rows42: Rows) -> None:
    by_text = {r["text"]: r for r in rows42}
    perfect = [r for r in rows42 if r["mis_conjugation_type"] == "bare_participle_missing_aux"]
    assert perfect
    for row in perfect:  # corrected to the present perfect, in both languages
        assert row["correct_form"].split()[1] in {"have", "has"}
        assert row["spanish"].split()[1] in {"he", "has", "ha"}
    for row in rows42:
        if row["mis_conjugation_type"] in ("missing_third_person_s", "wrong_aux_will_with_to"):
            assert row["spanish"] == by_text[row["correct_form"]]["spanish"]


def test_fingerprint_normalisation() -> None:
    assert normalize("  I Work ") == "I work"
    assert fingerprint("I work") != fingerprint("i work")
    assert fingerprint("e\u0301") == fingerprint("\u00e9")  # NFD and NFC hash alike


def test_all_text_is_nfc(rows42: Rows) -> None:
    for row in rows42:
        for key in ("text", "spanish", "correct_form"):
            if row[key] is not None:
                assert unicodedata.is_normalized("NFC", row[key])


def test_cells_enumeration() -> None:
    cells = list(corpus_cells())
    assert len(cells) == 280
    assert sum(c.person is None for c in cells) == 40


@pytest.mark.parametrize("seed", [-1, True, 1.5])
def test_bad_seed(seed: Any) -> None:
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        generate_rows(seed)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_every_generated_row_validates(seed: int, schema: dict[str, Any]) -> None:
    rows = generate_rows(seed)
    report = validate_rows(rows, schema)
    assert report.passed, report.summary_lines()
    wrong = [r for r in rows if r["label"] == "mis_conjugated"]
    assert len(wrong) >= 100
    assert len({r["mis_conjugation_type"] for r in wrong}) >= 4


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10**6))
def test_regeneration_is_byte_identical(seed: int) -> None:
    assert dumps_jsonl(generate_rows(seed)) == dumps_jsonl(generate_rows(seed))


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10**6).filter(lambda s: s != 42))
def test_other_seed_same_correct_rows_new_order(seed: int, _rows42: Rows) -> None:
    other = generate_rows(seed)

    def correct(rows: Rows) -> set[tuple[str, str]]:
        return {(r["text"], r["spanish"]) for r in rows if r["label"] == "correct"}

    assert correct(other) == correct(_rows42)
    assert [r["text"] for r in other] != [r["text"] for r in _rows42]
