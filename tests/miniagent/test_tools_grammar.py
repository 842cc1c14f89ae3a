"""The truth-table tools against the table itself, through the registry as every caller uses them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from lynx_cortex.paths import data_dir
from miniagent.tools.forms import readings, subject_person
from miniagent.tools.registry import default_registry
from minicorpus.verb_table import PERSONS, VERBS

REGISTRY = default_registry()
TABLE = json.loads((data_dir() / "conjugation_table.json").read_text(encoding="utf-8"))
FINITE = ("present_simple", "past_simple", "future_will", "future_going_to")


def _ok(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = REGISTRY.call(name, arguments).to_json()
    assert result["ok"], result
    tool = REGISTRY.get(name)
    assert tool is not None and tool.output_schema is not None
    Draft202012Validator(dict(tool.output_schema)).validate(result["result"])  # the result contract
    return dict(result["result"])


def test_the_registry_lists_the_five_tools_with_valid_descriptors() -> None:
    names = [tool.descriptor()["name"] for tool in REGISTRY]
    assert names == [
        "conjugate",
        "lookup_irregular_verb",
        "lookup_spanish",
        "check_subject_verb_agreement",
        "lookup_rule",
        "classify_sentence",
    ]
    for tool in REGISTRY:
        Draft202012Validator.check_schema(tool.descriptor()["inputSchema"])


@given(st.sampled_from(VERBS), st.sampled_from(FINITE), st.sampled_from(PERSONS))
def test_conjugate_is_the_exported_table(verb: str, tense: str, person: str) -> None:
    got = _ok("conjugate", {"verb": verb, "tense": tense, "person": person})
    cell = TABLE["verbs"][verb]["forms"][tense][person]
    assert (got["english"], got["spanish"]) == (cell["en"], cell["es"])


def test_lookup_irregular_verb_gives_the_principal_parts() -> None:
    assert _ok("lookup_irregular_verb", {"verb": "go"}) | {} == {
        "verb": "go",
        "is_irregular": True,
        "past_simple": "went",
        "past_participle": "gone",
        "third_person_present": "goes",
        "spanish_lemma": "ir",
        "spanish_is_irregular": True,
    }
    assert _ok("lookup_irregular_verb", {"verb": "study"})["past_simple"] == "studied"


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("he went", [("go", "past_simple", "3sg", "él fue")]),
        ("has gone", [("go", "past_participle", "3sg", "él ha ido")]),
        ("I will eat", [("eat", "future_will", "1sg", "yo comeré")]),
    ],
)
def test_lookup_spanish(form: str, expected: list[tuple[str, ...]]) -> None:
    matches = _ok("lookup_spanish", {"english_form": form})["matches"]
    assert [(m["verb"], m["tense"], m["person"], m["spanish"]) for m in matches] == expected


@pytest.mark.parametrize(
    ("subject", "form", "agrees", "expected"),
    [
        ("my brother", "eat", False, "eats"),
        ("I", "eat", True, "eat"),
        ("I", "has", False, "have"),
        ("you", "was", False, "were"),
        ("she", "gone", False, "has gone"),
        ("Tom", "has gone", True, "has gone"),
        ("he", "am going to work", False, "is going to work"),
    ],
)
def test_agreement(subject: str, form: str, agrees: bool, expected: str) -> None:
    got = _ok("check_subject_verb_agreement", {"subject": subject, "verb_form": form})
    assert (got["agrees"], got["expected_form"]) == (agrees, expected)


@pytest.mark.parametrize(
    ("name", "arguments", "code"),
    [
        ("conjugate", {"verb": "fly", "tense": "past_simple", "person": "3sg"}, "unknown_verb"),
        ("conjugate", {"verb": "go", "tense": "pluperfect", "person": "3sg"}, "invalid_arguments"),
        ("conjugate", {"verb": "go", "tense": "past_simple"}, "missing_person"),
        ("lookup_irregular_verb", {}, "invalid_arguments"),
        ("lookup_spanish", {"english_form": "flew"}, "unknown_form"),
        ("check_subject_verb_agreement", {"subject": "they", "verb_form": "go"}, "plural_subject"),
        ("check_subject_verb_agreement", {"subject": "he", "verb_form": "flies"}, "unknown_form"),
        ("lookup_rule", {"query": ""}, "invalid_arguments"),
        ("no_such_tool", {}, "unknown_tool"),
        ("classify_sentence", {"sentence": "We goed home."}, "out_of_scope"),
        ("classify_sentence", {"sentence": ""}, "invalid_arguments"),
    ],
)
def test_refusals_are_structured_results(name: str, arguments: dict[str, Any], code: str) -> None:
    result = REGISTRY.call(name, arguments).to_json()
    assert result["ok"] is False and result["error"]["code"] == code


@pytest.mark.parametrize(
    ("subject", "person"),
    [
        ("I", "1sg"),
        ("You", "2sg"),
        ("my mother", "3sg"),
        ("Carlos", "3sg"),
        ("James", "3sg"),
        ("the boss", "3sg"),
        ("we", None),
        ("my parents", None),
        ("The children", None),
        ("Ana and Tom", None),
        ("People", None),
    ],
)
def test_subject_person(subject: str, person: str | None) -> None:
    assert subject_person(subject) == person


def test_every_table_form_has_a_reading_for_its_own_cell() -> None:
    for verb in VERBS:
        for tense in FINITE:
            for person in PERSONS:
                group = TABLE["verbs"][verb]["forms"][tense][person]["en"].split(" ", 1)[1]
                assert any(
                    r.verb == verb and r.tense == tense and person in r.persons
                    for r in readings(group)
                ), (verb, tense, person, group)


def test_lookup_rule_returns_existing_chunks_for_an_error_code() -> None:
    from miniagent.tools.rules import kb_retriever

    hits = _ok("lookup_rule", {"query": "overregularization past goed went", "k": 3})["hits"]
    assert hits and all(h["chunk_id"] in kb_retriever().by_id for h in hits)
    assert any(h["rule_id"] == "error-overregularization-past" for h in hits)
    spanish = _ok("lookup_rule", {"query": "overregularization past", "k": 2, "lang": "es"})["hits"]
    assert spanish and all(h["lang"] == "es" for h in spanish)


def test_classify_sentence_proposes_a_table_form() -> None:
    got = _ok("classify_sentence", {"sentence": "Yesterday she goed to the market."})
    assert got["correction"] == "Yesterday she went to the market."
    assert got["error_code"] == "overregularization_past"
    assert got["correction"] in got["candidates"]
