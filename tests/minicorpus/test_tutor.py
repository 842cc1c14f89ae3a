"""Corpus v1.1: framed sentences for the tutor."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from minicorpus.generate import generate_rows
from minicorpus.rows import dumps_jsonl
from minicorpus.split import stratified_split_by_verb_tense
from minicorpus.tutor import (
    Frame,
    build_tutor_set,
    cell_pairs,
    generate_tutor_rows,
    render,
    validate_tutor_rows,
    wrong_core,
)

Rows = list[dict[str, Any]]


@pytest.fixture(scope="module")
def pairs() -> Rows:
    return generate_tutor_rows(42)


def test_size_and_balance(pairs: Rows) -> None:
    assert len(pairs) >= 20_000  # "tens of thousands"
    counts = Counter(p["error_type"] for p in pairs)
    assert len(counts) == 7  # correct + all six types
    assert validate_tutor_rows(pairs).passed


def test_the_design_example_is_in_the_set(pairs: Rows) -> None:
    by_text = {p["text"]: p for p in pairs}
    pair = by_text["Yesterday she goed to the market."]
    assert pair["correct_text"] == "Yesterday she went to the market."
    assert pair["error_type"] == "overregularization_past"
    assert (pair["verb_lemma"], pair["tense"], pair["person"]) == ("go", "past_simple", "3sg")
    assert pair["spanish_form"] == "ella fue"
    assert by_text["Maria has eaten lunch today."]["label"] == "correct"
    assert by_text["Maria eaten lunch today."]["correct_text"] == "Maria has eaten lunch today."
    assert by_text["Tomorrow you will to see a bird."]["error_type"] == "wrong_aux_will_with_to"


def test_render() -> None:
    frame = Frame("Tom", "football", "every day", "final")
    assert render("he plays", "3sg", frame) == "Tom plays football every day."
    assert render("I play", "1sg", Frame("I", "", "every day", "initial")) == "Every day I play."
    with pytest.raises(ValueError, match="does not start with 'he'"):
        render("I play", "3sg", frame)


def test_participle_errors_use_the_perfect() -> None:
    assert wrong_core("overregularization_past", "eat", "past_participle", "3sg") == "he has eated"
    assert wrong_core("bare_participle_missing_aux", "eat", "past_participle", "3sg") == "he eaten"
    assert wrong_core("wrong_aux_will_with_to", "eat", "past_participle", "3sg") is None
    types = {p["error_type"] for p in cell_pairs("be", "past_participle", "2sg")}
    assert types == {None, "subject_verb_disagreement", "bare_participle_missing_aux"}


def test_deterministic_and_seed_orders_only() -> None:
    a, b, c = generate_tutor_rows(1), generate_tutor_rows(1), generate_tutor_rows(2)
    assert dumps_jsonl(a) == dumps_jsonl(b)
    assert {p["text"] for p in a} == {p["text"] for p in c}
    assert [p["text"] for p in a] != [p["text"] for p in c]


def test_validator_catches_a_swapped_label(pairs: Rows) -> None:
    broken = copy.deepcopy(pairs[:500])
    victim = next(p for p in broken if p["error_type"] is not None)
    victim["error_type"] = (
        "missing_third_person_s"
        if victim["error_type"] != "missing_third_person_s"
        else "wrong_aux_will_with_to"
    )
    report = validate_tutor_rows(broken)
    truth = next(c for c in report.checks if c.name == "truth_table")
    assert truth.failures == (victim["id"],)
    assert not next(c for c in report.checks if c.name == "coverage").passed  # only 500 pairs


def test_build_tutor_set_splits_like_the_corpus(tmp_path: Path) -> None:
    split = stratified_split_by_verb_tense(generate_rows(42))
    manifest = build_tutor_set(tmp_path, seed=42, corpus_split=split)
    assert sum(manifest["rows_per_split"].values()) == manifest["total_pairs"]
    test_keys = {k for k, v in split.assignment.items() if v == "test"}
    for line in (tmp_path / "tutor/test.jsonl").read_text(encoding="utf-8").splitlines()[:200]:
        assert any(
            f'"verb_lemma": "{v}"' in line and f'"tense": "{t}"' in line for v, t in test_keys
        )
