"""The truth table as lookups: from (verb, tense, person) to forms, and from a form back to its analyses.

The tutor's tools ask two questions: "what is the form of this cell?" (`conjugate_english`) and "what could
this string be?" (`analyze_english`). The second is a reverse index over every cell, keyed both by the full
form (`he went`) and by the verb group alone (`went`), so a caller that has already split off the subject
gets the same answer. When a string is the same for all three persons of a tense it is reported once with
person None (`went` → `("go", "past_simple", None)`).

`table_as_json` is what `data/conjugation_table.json` contains; a test checks the checked-in file against it.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from typing import Any, NamedTuple

from minicorpus.conjugate import (
    conjugate_english,
    conjugate_spanish,
    english_verb_phrase,
    spanish_form,
)
from minicorpus.mis_conjugate import MIS_CONJUGATION_TYPES
from minicorpus.rows import CORPUS_VERSION
from minicorpus.verb_table import (
    PERSON_INVARIANT_TENSES,
    PERSONS,
    TENSE_ALIASES,
    TENSES,
    VERB_TABLE,
    Person,
    Tense,
)

TABLE_FORMAT = 1


class Analysis(NamedTuple):
    """One reading of a form; compares equal to a plain `(verb, tense, person)` tuple."""

    verb: str
    tense: Tense
    person: Person | None


def _key(text: str) -> str:
    """Lookups ignore case, surrounding space and repeated spaces; NFC so `é` matches however it was typed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _cells() -> Iterator[tuple[str, Tense, Person]]:
    for verb in VERB_TABLE:
        for tense in TENSES:
            for person in PERSONS:
                yield verb, tense, person


def _collapse(readings: set[tuple[str, Tense, Person]]) -> list[Analysis]:
    """Merge readings that cover all three persons of a (verb, tense) into one with person None."""
    by_key: dict[tuple[str, Tense], set[Person]] = defaultdict(set)
    for verb, tense, person in readings:
        by_key[(verb, tense)].add(person)
    analyses: list[Analysis] = []
    for (verb, tense), persons in by_key.items():
        if persons == set(PERSONS):
            analyses.append(Analysis(verb, tense, None))
        else:
            analyses.extend(Analysis(verb, tense, p) for p in PERSONS if p in persons)
    order = {verb: i for i, verb in enumerate(VERB_TABLE)}
    return sorted(analyses, key=lambda a: (order[a.verb], TENSES.index(a.tense), str(a.person)))


def _build(language: str) -> dict[str, tuple[Analysis, ...]]:
    raw: dict[str, set[tuple[str, Tense, Person]]] = defaultdict(set)
    for verb, tense, person in _cells():
        if language == "en":
            forms = {
                conjugate_english(verb, tense, person),
                english_verb_phrase(verb, tense, person),
            }
            if tense == "infinitive":
                forms.add(verb)  # the bare infinitive, as after `will` or `going to`
        else:
            entry = VERB_TABLE[verb]
            forms = {conjugate_spanish(verb, tense, person)}
            if not entry.spanish_inverted:
                who = None if tense in PERSON_INVARIANT_TENSES else person
                forms.add(spanish_form(entry, tense, who))
        for form in forms:
            raw[_key(form)].add((verb, tense, person))
    return {form: tuple(_collapse(readings)) for form, readings in raw.items()}


@functools.cache
def _index(language: str) -> dict[str, tuple[Analysis, ...]]:
    return _build(language)


def analyze_english(form: str) -> list[Analysis]:
    """Every (verb, tense, person) whose English is `form` (full or without subject); [] if none.

    `analyze_english("went")` → `[("go", "past_simple", None)]`;
    `analyze_english("was")` → be past_simple for 1sg and 3sg.
    """
    if not isinstance(form, str):
        raise TypeError(f"form must be a string, got {type(form).__name__}")
    return list(_index("en").get(_key(form), ()))


def analyze_spanish(form: str) -> list[Analysis]:
    """Every (verb, tense, person) whose Spanish is `form` (with or without pronoun); [] if none.

    Ambiguity is real: `fui` is both `ser` and `ir`, `mira` both watch and look.
    """
    if not isinstance(form, str):
        raise TypeError(f"form must be a string, got {type(form).__name__}")
    return list(_index("es").get(_key(form), ()))


def known_english_forms() -> frozenset[str]:
    """Every normalised English string the table can analyse (for the tutor's in-scope test)."""
    return frozenset(_index("en"))


def table_as_json() -> dict[str, Any]:
    """The whole table as plain JSON data: verbs with their metadata and all 360 cells in both languages."""
    verbs: dict[str, Any] = {}
    for lemma, entry in VERB_TABLE.items():
        cells: dict[str, dict[str, dict[str, str]]] = {}
        for tense in TENSES:
            cells[tense] = {
                person: {
                    "en": conjugate_english(lemma, tense, person),
                    "es": conjugate_spanish(lemma, tense, person),
                }
                for person in PERSONS
            }
        verbs[lemma] = {
            "spanish_lemma": entry.spanish_lemma,
            "english_regularity": entry.english_regularity,
            "spanish_regularity": entry.spanish_regularity,
            "note": entry.note,
            "forms": cells,
        }
    return {
        "format": TABLE_FORMAT,
        "corpus_version": CORPUS_VERSION,
        "tenses": list(TENSES),
        "tense_aliases": dict(TENSE_ALIASES),
        "person_invariant_tenses": sorted(PERSON_INVARIANT_TENSES),
        "persons": list(PERSONS),
        "mis_conjugation_types": list(MIS_CONJUGATION_TYPES),
        "verbs": verbs,
    }


def table_json_text() -> str:
    """The exact text of `data/conjugation_table.json` (same serialisation as `write_json_atomic`)."""
    return json.dumps(table_as_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
