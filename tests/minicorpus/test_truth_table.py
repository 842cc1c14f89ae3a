"""Reverse lookups over the truth table, and the checked-in data/conjugation_table.json."""

from __future__ import annotations

import json

import pytest

from lynx_cortex.paths import data_dir
from minicorpus.conjugate import conjugate_english
from minicorpus.truth_table import analyze_english, analyze_spanish, table_as_json, table_json_text
from minicorpus.verb_table import PERSONS, TENSES, VERBS


def test_went() -> None:
    assert analyze_english("went") == [("go", "past_simple", None)]
    assert analyze_english("  He WENT ") == [("go", "past_simple", "3sg")]


def test_person_ambiguity() -> None:
    assert analyze_english("was") == [("be", "past_simple", "1sg"), ("be", "past_simple", "3sg")]
    assert analyze_english("work") == [
        ("work", "infinitive", None),
        ("work", "present_simple", "1sg"),
        ("work", "present_simple", "2sg"),
    ]
    assert analyze_english("worked") == [
        ("work", "past_simple", None),
        ("work", "past_participle", None),
    ]
    assert analyze_english("had") == [
        ("have", "past_simple", None),
        ("have", "past_participle", None),
    ]
    assert analyze_english("come") == [
        ("come", "infinitive", None),
        ("come", "present_simple", "1sg"),
        ("come", "present_simple", "2sg"),
        ("come", "past_participle", None),
    ]


def test_multiword_and_unknown() -> None:
    assert analyze_english("is going to eat") == [("eat", "future_going_to", "3sg")]
    assert analyze_english("will eat") == [("eat", "future_will", None)]
    assert analyze_english("to write") == [("write", "infinitive", None)]
    assert analyze_english("goed") == []
    assert analyze_english("swam") == []


def test_spanish_lookups() -> None:
    assert analyze_spanish("fui") == [("be", "past_simple", "1sg"), ("go", "past_simple", "1sg")]
    assert analyze_spanish("me gusta") == [("like", "present_simple", "1sg")]
    assert analyze_spanish("e\u0301l trabaja") == [("work", "present_simple", "3sg")]  # NFD input
    assert ("watch", "present_simple", "3sg") in analyze_spanish("mira")
    assert ("look", "present_simple", "3sg") in analyze_spanish("mira")


def test_every_cell_is_found_by_its_form() -> None:
    for verb in VERBS:
        for tense in TENSES:
            for person in PERSONS:
                found = analyze_english(conjugate_english(verb, tense, person))
                assert any(
                    a.verb == verb and a.tense == tense and a.person in (person, None)
                    for a in found
                ), (verb, tense, person)


def test_type_error() -> None:
    with pytest.raises(TypeError, match="form must be a string"):
        analyze_english(3)  # type: ignore[arg-type]


def test_checked_in_table_equals_the_code() -> None:
    path = data_dir() / "conjugation_table.json"
    assert path.read_text(encoding="utf-8") == table_json_text()
    table = json.loads(path.read_text(encoding="utf-8"))
    assert table == table_as_json()
    assert table["verbs"]["go"]["forms"]["past_simple"]["2sg"] == {
        "en": "you went",
        "es": "tú fuiste",
    }
    assert sum(len(cells) for v in table["verbs"].values() for cells in v["forms"].values()) == 360
