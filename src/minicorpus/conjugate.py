"""English and Spanish conjugation over the verb table: pure functions, explicit string operations, no regex.

Two layers: `english_verb_phrase` is the verb group alone (`works`, `am going to work`), `conjugate_english`
puts the subject pronoun in front for the tenses that take one. The corpus stores the latter; the tutor's
sentence frames reuse the former with other subjects.
"""

from __future__ import annotations

from collections.abc import Mapping

from minicorpus.verb_table import (
    ENGLISH_BE_PRESENT,
    ENGLISH_HAVE_PRESENT,
    ENGLISH_PRONOUNS,
    PERSON_INVARIANT_TENSES,
    PERSONS,
    SPANISH_CLITICS,
    SPANISH_HABER,
    SPANISH_IR,
    SPANISH_PRONOUNS,
    TENSE_ALIASES,
    TENSES,
    VERB_TABLE,
    Person,
    Tense,
    VerbEntry,
)

_SIBILANT_ENDINGS = ("sh", "ch", "s", "x", "o", "z")
_VOWELS = frozenset("aeiou")

_SPANISH_PRESENT = {
    "ar": {"1sg": "o", "2sg": "as", "3sg": "a"},
    "er": {"1sg": "o", "2sg": "es", "3sg": "e"},
    "ir": {"1sg": "o", "2sg": "es", "3sg": "e"},
}
_SPANISH_PRETERITE = {
    "ar": {"1sg": "é", "2sg": "aste", "3sg": "ó"},
    "er": {"1sg": "í", "2sg": "iste", "3sg": "ió"},
    "ir": {"1sg": "í", "2sg": "iste", "3sg": "ió"},
}
_SPANISH_FUTURE = {"1sg": "é", "2sg": "ás", "3sg": "á"}
_SPANISH_PARTICIPLE = {"ar": "ado", "er": "ido", "ir": "ido"}


# ------------------------------------------------------------------------------------------ validation


def resolve_tense(tense: str) -> Tense:
    """The canonical tense name for `tense` (accepts the alias `future`); ValueError names the choices."""
    canonical = TENSE_ALIASES.get(tense, tense)
    for known in TENSES:
        if canonical == known:
            return known
    raise ValueError(
        f"unknown tense {tense!r}; expected one of {', '.join(TENSES)} (or 'future' for future_will)"
    )


def get_entry(verb: str, table: Mapping[str, VerbEntry] = VERB_TABLE) -> VerbEntry:
    """The table entry for an English lemma; ValueError lists the 20 verbs in scope."""
    entry = table.get(verb)
    if entry is None:
        raise ValueError(f"unknown verb {verb!r}; the table covers: {', '.join(table)}")
    return entry


def check_person(person: str | None, tense: Tense) -> Person | None:
    """Validate `person` for `tense`: required unless the tense is person-invariant."""
    if person is None and tense in PERSON_INVARIANT_TENSES:
        return None
    return require_person(person, tense)


def require_person(person: str | None, tense: str = "present_simple") -> Person:
    """`person` as a `Person`; ValueError when it is missing or not one of 1sg/2sg/3sg."""
    if person is None:
        raise ValueError(
            f"tense {tense!r} needs a person (one of {', '.join(PERSONS)}); only "
            f"{' and '.join(sorted(PERSON_INVARIANT_TENSES))} accept person=None"
        )
    for known in PERSONS:
        if person == known:
            return known
    raise ValueError(f"unknown person {person!r}; expected one of {', '.join(PERSONS)} or None")


# ------------------------------------------------------------------------------------------- English


def third_person_s(lemma: str) -> str:
    """-es after sibilants and -o (watches, goes), -ies after consonant + y (studies), else -s."""
    if lemma.endswith(_SIBILANT_ENDINGS):
        return lemma + "es"
    if len(lemma) >= 2 and lemma.endswith("y") and lemma[-2] not in _VOWELS:
        return lemma[:-1] + "ies"
    return lemma + "s"


def regular_past(lemma: str) -> str:
    """-d after -e (liked), -ied after consonant + y (studied), else -ed; also a learner's overregularisation."""
    if lemma.endswith("e"):
        return lemma + "d"
    if len(lemma) >= 2 and lemma.endswith("y") and lemma[-2] not in _VOWELS:
        return lemma[:-1] + "ied"
    return lemma + "ed"


def english_present(entry: VerbEntry, person: Person) -> str:
    if entry.english_present is not None:
        return entry.english_present[person]
    return third_person_s(entry.english_lemma) if person == "3sg" else entry.english_lemma


def english_past(entry: VerbEntry, person: Person | None) -> str:
    """Past simple; `be` alone agrees with the person (I was, you were)."""
    if entry.english_lemma == "be":
        return "were" if person == "2sg" else "was"
    return entry.english_past or regular_past(entry.english_lemma)


def english_participle(entry: VerbEntry) -> str:
    return entry.english_participle or regular_past(entry.english_lemma)


def english_verb_phrase(verb: str, tense: str, person: str | None) -> str:
    """The verb group without its subject: `works`, `will work`, `is going to work`, `to work`, `worked`."""
    entry = get_entry(verb)
    canonical = resolve_tense(tense)
    check_person(person, canonical)
    lemma = entry.english_lemma
    if canonical == "infinitive":
        return f"to {lemma}"
    if canonical == "past_participle":
        return english_participle(entry)
    who = require_person(person, canonical)
    if canonical == "present_simple":
        return english_present(entry, who)
    if canonical == "past_simple":
        return english_past(entry, who)
    if canonical == "future_will":
        return f"will {lemma}"
    return f"{ENGLISH_BE_PRESENT[who]} going to {lemma}"


def conjugate_english(verb: str, tense: str, person: str | None) -> str:
    """The corpus's English form of a cell: pronoun + verb group, or the bare group when person-invariant.

    For `infinitive` and `past_participle` the person is accepted and ignored (the truth table answers every
    (verb, tense, person)); every other tense requires one of 1sg/2sg/3sg.
    """
    canonical = resolve_tense(tense)
    phrase = english_verb_phrase(verb, canonical, person)
    if canonical in PERSON_INVARIANT_TENSES:
        return phrase
    return f"{ENGLISH_PRONOUNS[require_person(person, canonical)]} {phrase}"


def english_present_perfect(verb: str, person: str) -> str:
    """`he has gone`: what a subject + participle needs; the correction of two participle error types."""
    who = require_person(person)
    entry = get_entry(verb)
    return f"{ENGLISH_PRONOUNS[who]} {ENGLISH_HAVE_PRESENT[who]} {english_participle(entry)}"


# ------------------------------------------------------------------------------------------- Spanish


def _stem_and_class(lemma: str) -> tuple[str, str]:
    ending = lemma[-2:]
    if ending not in _SPANISH_PRESENT:
        raise ValueError(f"Spanish lemma {lemma!r} does not end in -ar, -er or -ir")
    return lemma[:-2], ending


def spanish_form(entry: VerbEntry, tense: Tense, person: Person | None) -> str:
    """The bare Spanish verb form (no pronoun): irregular table first, then the regular paradigm."""
    key = (tense, person or "-")
    irregular = entry.spanish_irregular_forms.get(key)
    if irregular is not None:
        return irregular
    lemma = entry.spanish_lemma
    stem, verb_class = _stem_and_class(lemma)
    if tense == "infinitive":
        return lemma
    if tense == "past_participle":
        return stem + _SPANISH_PARTICIPLE[verb_class]
    if person is None:
        raise ValueError(f"Spanish {tense} of {lemma!r} needs a person")
    if tense == "present_simple":
        return stem + _SPANISH_PRESENT[verb_class][person]
    if tense == "past_simple":
        return stem + _SPANISH_PRETERITE[verb_class][person]
    if tense == "future_will":
        return lemma + _SPANISH_FUTURE[person]
    return f"{SPANISH_IR[person]} a {lemma}"


def conjugate_spanish(verb: str, tense: str, person: str | None) -> str:
    """The Spanish pair of a cell: `yo trabajo`, `tú vas a ir`, `me gusta`, bare `trabajar`/`trabajado`.

    `gustar` inverts: the liker is an indirect-object clitic and the verb stays in the third person.
    """
    entry = get_entry(verb)
    canonical = resolve_tense(tense)
    check_person(person, canonical)
    if canonical in PERSON_INVARIANT_TENSES:
        return spanish_form(entry, canonical, None)
    who = require_person(person, canonical)
    if entry.spanish_inverted:
        return f"{SPANISH_CLITICS[who]} {spanish_form(entry, canonical, '3sg')}"
    return f"{SPANISH_PRONOUNS[who]} {spanish_form(entry, canonical, who)}"


def spanish_present_perfect(verb: str, person: str) -> str:
    """`él ha ido` / `me ha gustado`: the Spanish of a present-perfect correction."""
    who = require_person(person)
    entry = get_entry(verb)
    participle = spanish_form(entry, "past_participle", None)
    if entry.spanish_inverted:
        return f"{SPANISH_CLITICS[who]} {SPANISH_HABER['3sg']} {participle}"
    return f"{SPANISH_PRONOUNS[who]} {SPANISH_HABER[who]} {participle}"
