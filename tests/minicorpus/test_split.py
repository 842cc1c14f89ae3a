"""The (verb, tense) splitter and the held-out-verbs split."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minicorpus.split import (
    HELDOUT_VERBS,
    heldout_verbs_split,
    stratified_split_by_verb_tense,
)

Rows = list[dict[str, Any]]


def _keys(rows: Rows) -> set[tuple[str, str]]:
    return {(r["verb_lemma"], r["tense"]) for r in rows}


def test_default_split_is_96_12_12(rows42: Rows) -> None:
    split = stratified_split_by_verb_tense(rows42, seed=42)
    assert split.log()["keys_per_split"] == {"train": 96, "val": 12, "test": 12}
    assert sum(len(part) for part in split.rows.values()) == len(rows42)
    parts = [_keys(split.rows[name]) for name in ("train", "val", "test")]
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])


def test_wrong_rows_follow_their_key(rows42: Rows) -> None:
    split = stratified_split_by_verb_tense(rows42)
    for name, rows in split.rows.items():
        for row in rows:
            assert split.assignment[(row["verb_lemma"], row["tense"])] == name


def test_same_seed_same_split_other_seed_other_split(rows42: Rows) -> None:
    a = stratified_split_by_verb_tense(rows42, seed=42)
    b = stratified_split_by_verb_tense(rows42, seed=42)
    c = stratified_split_by_verb_tense(rows42, seed=7)
    assert [r["id"] for r in a.rows["test"]] == [r["id"] for r in b.rows["test"]]
    assert a.assignment != c.assignment


def _toy(n_keys: int) -> Rows:
    return [
        {"id": f"{k}-{p}", "verb_lemma": f"v{k:03d}", "tense": "past_simple", "person": p}
        for k in range(n_keys)
        for p in ("1sg", "2sg")
    ]


def test_ratio_arithmetic_with_100_keys() -> None:
    split = stratified_split_by_verb_tense(_toy(100), seed=0)
    assert split.log()["keys_per_split"] == {"train": 80, "val": 10, "test": 10}


def test_rounding_losses_go_to_test() -> None:
    split = stratified_split_by_verb_tense(_toy(99), seed=0)
    assert split.log()["keys_per_split"] == {"train": 79, "val": 9, "test": 11}


@settings(max_examples=25, deadline=None)
@given(
    n_keys=st.integers(1, 60),
    seed=st.integers(0, 10**6),
    ratios=st.sampled_from([(0.8, 0.1, 0.1), (0.5, 0.25, 0.25), (1.0, 0.0, 0.0), (0.6, 0.2, 0.2)]),
)
def test_no_key_crosses_splits(n_keys: int, seed: int, ratios: tuple[float, float, float]) -> None:
    rows = _toy(n_keys)
    split = stratified_split_by_verb_tense(rows, ratios=ratios, seed=seed)
    owners: dict[tuple[str, str], set[str]] = {}
    for name, part in split.rows.items():
        for row in part:
            owners.setdefault((row["verb_lemma"], row["tense"]), set()).add(name)
    assert all(len(names) == 1 for names in owners.values())
    assert sorted(r["id"] for part in split.rows.values() for r in part) == sorted(
        r["id"] for r in rows
    )


def test_heldout_verbs(rows42: Rows) -> None:
    split = heldout_verbs_split(rows42)
    assert {r["verb_lemma"] for r in split.rows["test"]} == set(HELDOUT_VERBS)
    assert not {r["verb_lemma"] for r in split.rows["train"] + split.rows["val"]} & set(
        HELDOUT_VERBS
    )
    assert split.log()["keys_per_split"] == {"train": 84, "val": 12, "test": 24}
    assert split.log()["heldout_verbs"] == ["look", "like", "see", "eat"]


@pytest.mark.parametrize("ratios", [(0.8, 0.1), (0.5, 0.5, 0.5), (1.1, -0.1, 0.0)])
def test_bad_ratios(ratios: tuple[float, ...]) -> None:
    with pytest.raises(ValueError, match="ratios must be three"):
        stratified_split_by_verb_tense(_toy(3), ratios=ratios)


def test_bad_heldout_and_rows() -> None:
    with pytest.raises(ValueError, match="'swim' is not in the verb table"):
        heldout_verbs_split(_toy(3), heldout=("swim",))
    with pytest.raises(ValueError, match="has no 'tense'"):
        stratified_split_by_verb_tense([{"id": "1", "verb_lemma": "work"}])
