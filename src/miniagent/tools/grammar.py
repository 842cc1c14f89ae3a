"""The four truth-table tools: conjugate, lookup_irregular_verb, lookup_spanish, check_subject_verb_agreement.

Each is a pure function over `minicorpus.verb_table` (no model, no I/O), so its answer is the table's answer and
a caller — the tutor now, an agent or an MCP client later — can use it as ground truth. Refusals are
`ToolError`s with a code (`unknown_verb`, `unknown_form`, `plural_subject`), which `call` turns into results.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from miniagent.tools.base import Tool, ToolError
from miniagent.tools.forms import PRONOUN_PERSON, Reading, correct_group, readings, subject_person
from minicorpus.conjugate import (
    conjugate_english,
    conjugate_spanish,
    english_participle,
    english_past,
    english_present,
    resolve_tense,
    spanish_present_perfect,
)
from minicorpus.verb_table import PERSONS, TENSES, VERB_TABLE, VERBS, Person, VerbEntry

_STRING: Final = {"type": "string"}
_TENSE_SCHEMA: Final = {"type": "string", "enum": [*TENSES, "future"]}
_PERSON_SCHEMA: Final = {"type": "string", "enum": list(PERSONS)}


def _entry(verb: str) -> VerbEntry:
    entry = VERB_TABLE.get(verb.strip().lower())
    if entry is None:
        raise ToolError("unknown_verb", f"{verb!r} is not one of the 20 verbs: {', '.join(VERBS)}")
    return entry


def conjugate(verb: str, tense: str, person: str | None = None) -> Mapping[str, Any]:
    """The English and Spanish forms of one cell, exactly as the truth table holds them."""
    entry = _entry(verb)
    canonical = resolve_tense(tense)
    if person is None and canonical not in ("infinitive", "past_participle"):
        raise ToolError("missing_person", f"tense {canonical} needs a person (1sg, 2sg or 3sg)")
    lemma = entry.english_lemma
    return {
        "verb": lemma,
        "tense": canonical,
        "person": person,
        "english": conjugate_english(lemma, canonical, person),
        "spanish": conjugate_spanish(lemma, canonical, person),
    }


def lookup_irregular_verb(verb: str) -> Mapping[str, Any]:
    """Whether a verb is irregular in English, with its principal parts and its Spanish pair."""
    entry = _entry(verb)
    return {
        "verb": entry.english_lemma,
        "is_irregular": entry.english_regularity == "irregular",
        "past_simple": english_past(entry, "3sg"),
        "past_participle": english_participle(entry),
        "third_person_present": english_present(entry, "3sg"),
        "spanish_lemma": entry.spanish_lemma,
        "spanish_is_irregular": entry.spanish_regularity == "irregular",
    }


def _spanish(reading: Reading, person: Person) -> str:
    """A present perfect (`has gone`) reads `ha ido`; a bare participle its bare Spanish participle."""
    if reading.tense == "past_participle" and reading.persons:
        return spanish_present_perfect(reading.verb, person)
    return conjugate_spanish(reading.verb, reading.tense, person)


def lookup_spanish(english_form: str) -> Mapping[str, Any]:
    """The Spanish of an English verb group (`went`, `he went`, `has gone`), one match per cell it can be."""
    words = english_form.strip().split()
    person_hint = PRONOUN_PERSON.get(words[0].lower()) if len(words) > 1 else None
    group = " ".join(words[1:] if person_hint is not None else words)
    found = readings(group)
    if not found:
        raise ToolError("unknown_form", f"{english_form!r} is not a form of the 20 verbs")
    matches = []
    for reading in found:
        persons: tuple[Person, ...] = tuple(sorted(reading.persons)) or PERSONS
        if person_hint is not None:
            persons = tuple(p for p in persons if p == person_hint)
        for person in persons:
            matches.append(
                {
                    "verb": reading.verb,
                    "tense": reading.tense,
                    "person": person,
                    "spanish": _spanish(reading, person),
                }
            )
    if not matches:
        raise ToolError("unknown_form", f"{english_form!r}: that subject never takes this form")
    return {"english_form": english_form, "matches": matches}


def check_subject_verb_agreement(subject: str, verb_form: str) -> Mapping[str, Any]:
    """Does `subject` agree with `verb_form`? If not, the form the table gives that subject in that tense."""
    person = subject_person(subject)
    if person is None:
        raise ToolError(
            "plural_subject", f"{subject!r} is plural or empty; the table has I, you and he/she/it"
        )
    found = readings(verb_form)
    if not found:
        raise ToolError("unknown_form", f"{verb_form!r} is not a form of the 20 verbs")
    agreeing = [r for r in found if person in r.persons]
    chosen = agreeing[0] if agreeing else found[0]
    return {
        "subject": subject,
        "person": person,
        "verb_form": verb_form,
        "verb": chosen.verb,
        "tense": chosen.tense,
        "agrees": bool(agreeing),
        "expected_form": correct_group(chosen.verb, chosen.tense, person),
    }


def _object(
    properties: Mapping[str, Any], required: list[str], *, closed: bool = True
) -> dict[str, Any]:
    """An object schema; arguments are closed (a typo is an error), results open (they may grow)."""
    schema = {"type": "object", "properties": dict(properties), "required": required}
    return {**schema, "additionalProperties": False} if closed else schema


TRUTH_TABLE_TOOLS: Final[tuple[Tool, ...]] = (
    Tool(
        "conjugate",
        "Conjugate one of the 20 verbs in English and Spanish (tense, person) from the truth table.",
        _object(
            {"verb": _STRING, "tense": _TENSE_SCHEMA, "person": _PERSON_SCHEMA}, ["verb", "tense"]
        ),
        conjugate,
        _object(
            {
                "verb": _STRING,
                "tense": _STRING,
                "person": {"type": ["string", "null"]},
                "english": _STRING,
                "spanish": _STRING,
            },
            ["verb", "tense", "english", "spanish"],
            closed=False,
        ),
    ),
    Tool(
        "lookup_irregular_verb",
        "Is this verb irregular? Its past simple, past participle, 3sg present and Spanish pair.",
        _object({"verb": _STRING}, ["verb"]),
        lookup_irregular_verb,
        _object(
            {
                "verb": _STRING,
                "is_irregular": {"type": "boolean"},
                "past_simple": _STRING,
                "past_participle": _STRING,
                "third_person_present": _STRING,
                "spanish_lemma": _STRING,
                "spanish_is_irregular": {"type": "boolean"},
            },
            ["verb", "is_irregular", "past_simple", "past_participle"],
            closed=False,
        ),
    ),
    Tool(
        "lookup_spanish",
        "The Spanish of an English verb group of the 20 verbs ('went', 'he went', 'has gone').",
        _object(
            {"english_form": {"type": "string", "minLength": 1, "maxLength": 80}}, ["english_form"]
        ),
        lookup_spanish,
        _object({"english_form": _STRING, "matches": {"type": "array"}}, ["matches"], closed=False),
    ),
    Tool(
        "check_subject_verb_agreement",
        "Does a singular subject agree with a verb group? Returns agrees and the expected form.",
        _object(
            {
                "subject": {"type": "string", "minLength": 1, "maxLength": 80},
                "verb_form": {"type": "string", "minLength": 1, "maxLength": 80},
            },
            ["subject", "verb_form"],
        ),
        check_subject_verb_agreement,
        _object(
            {
                "person": _STRING,
                "verb": _STRING,
                "tense": _STRING,
                "agrees": {"type": "boolean"},
                "expected_form": _STRING,
            },
            ["agrees", "expected_form"],
            closed=False,
        ),
    ),
)

__all__ = [
    "TRUTH_TABLE_TOOLS",
    "check_subject_verb_agreement",
    "conjugate",
    "lookup_irregular_verb",
    "lookup_spanish",
]
