"""The shipped probe sets: schema, coverage minima, no leak into train/val, and the validator's detectors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lynx_cortex.paths import data_dir
from minieval.leak import LeakError, assert_no_leak, find_leaks, normalize, split_hashes, text_hash
from minieval.probes import (
    ADVERSARIAL_CATEGORIES,
    Probe,
    ProbeError,
    coverage_errors,
    load_probes,
    parse_probe,
    validate_probe_sets,
)

EVAL = data_dir() / "eval"
PROCESSED = data_dir() / "processed"


def core() -> list[Probe]:
    return load_probes(EVAL / "probes.jsonl")


def adversarial() -> list[Probe]:
    return load_probes(EVAL / "adversarial.jsonl")


def test_shipped_sets_are_clean_and_meet_coverage() -> None:
    c, a = core(), adversarial()
    assert len(c) >= 60 and len(a) >= 20
    assert validate_probe_sets(c, a) == []
    cats = Counter(p.reason_code for p in a)
    assert set(cats) == set(ADVERSARIAL_CATEGORIES) and min(cats.values()) >= 3
    labels = Counter(p.label for p in c)
    assert (
        labels["correct"] >= 20 and labels["incorrect"] >= 20
    )  # both confusion rows are populated


def test_shipped_sets_do_not_leak_into_train_or_val() -> None:
    assert_no_leak([*core(), *adversarial()], PROCESSED)


def test_leak_check_fails_loudly_on_a_training_sentence(tmp_path: Path) -> None:
    row = {"id": "0001", "text": "He Eats!", "spanish": "él come", "correct_form": None}
    for split in ("train", "val"):
        (tmp_path / f"{split}.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    leaked = raw_probe(prompt="he ___", candidates=["eats", "eat"], expected="eats", given="eat")
    probe = parse_probe(leaked, "test")
    assert find_leaks([probe], split_hashes(tmp_path)) == [
        "probe-x-001: 'he eats' occurs in train:0001"
    ]
    with pytest.raises(LeakError, match="1 probe sentence"):
        assert_no_leak([probe], tmp_path)
    with pytest.raises(LeakError, match="does not exist"):
        assert_no_leak([probe], tmp_path / "nowhere")


@given(st.text(max_size=40))
def test_normalize_is_idempotent(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)


def test_normalize_folds_case_punctuation_and_space() -> None:
    assert text_hash("  Yesterday, I   WENT home. ") == text_hash("yesterday i went home")
    assert text_hash("I went home") != text_hash("I go home")


def raw_probe(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "probe-x-001",
        "language": "en",
        "verb": "eat",
        "regularity": "irregular",
        "tense": "present_simple",
        "person": "3sg",
        "prompt": "Every day he ___ rice.",
        "candidates": ["eats", "eat", "ate"],
        "expected": "eats",
        "given": "eat",
        "label": "incorrect",
        "category": "core",
    }
    base.update(over)
    return base


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"verb": "go", "regularity": "regular"}, "'go' is irregular"),
        ({"expected": "eaten"}, "expected 'eaten' is not among the candidates"),
        ({"label": "correct"}, "label correct but given 'eat' is not acceptable"),
        ({"given": "eats"}, "label incorrect but given 'eats' is acceptable"),
        ({"tense": "infinitive"}, "person must be null"),
        ({"person": "3pl"}, "person '3pl'"),
        ({"prompt": "no blank here"}, "exactly one '___'"),
        ({"verb": "swim", "regularity": "regular"}, "20 target verbs"),
        ({"candidates": ["eats"]}, "2-5 distinct"),
        ({"category": "adversarial", "reason_code": "PRES-3SG"}, "adversarial reason_code"),
        ({"language": "fr"}, "language 'fr'"),
    ],
)
def test_validator_names_the_problem(over: dict[str, Any], match: str) -> None:
    with pytest.raises(ProbeError, match=match):
        parse_probe(raw_probe(**over), "probes.jsonl:7")


def test_missing_field_and_alias() -> None:
    bad = raw_probe()
    del bad["given"]
    with pytest.raises(
        ProbeError, match=r"probes.jsonl:7 \(probe 'probe-x-001'\): missing field 'given'"
    ):
        parse_probe(bad, "probes.jsonl:7")
    ok = parse_probe(
        raw_probe(
            tense="future",
            prompt="Tomorrow he ___ rice.",
            candidates=["will eat", "eat"],
            expected="will eat",
        ),
        "x",
    )
    assert ok.tense == "future_will"


def test_load_probes_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(raw_probe()) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ProbeError, match=r"p.jsonl:2: not valid JSON"):
        load_probes(path)


def test_duplicate_ids_and_coverage_gaps_are_reported() -> None:
    p = parse_probe(raw_probe(), "x")
    errors = validate_probe_sets([p, p], [])
    assert "duplicate probe id 'probe-x-001' (2 times)" in errors
    assert any("language=es" in e for e in errors)
    assert any("only 0 adversarial probes" in e for e in errors)
    en_only = [q for q in core() if q.language == "en"]
    assert any("no core probe for verb" in e for e in coverage_errors(en_only))
