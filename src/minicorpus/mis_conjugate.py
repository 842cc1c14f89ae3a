"""The closed taxonomy of six mis-conjugations: how each wrong form is made, and when it can be made at all.

Each `apply_<type>(form, entry, tense, person)` takes the *correct* corpus form of a cell and returns the
deviant form, or None when the error does not exist for that cell (a regular verb cannot be overregularised,
`I work` has no -s to drop). A wrong form is always built from the truth table, never by perturbing bytes, so
its label is exact. Passing a `form` that is not the cell's correct form is a programming error (ValueError).

Two types put a subject in front of a bare participle; their correction is the present perfect
(`he gone` → `he has gone`), see `correct_form_for`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Final, Literal

from minicorpus.conjugate import (
    conjugate_english,
    english_present_perfect,
    english_verb_phrase,
    regular_past,
    require_person,
    resolve_tense,
)
from minicorpus.verb_table import (
    ENGLISH_BE_PRESENT,
    ENGLISH_PRONOUNS,
    PERSON_INVARIANT_TENSES,
    PERSONS,
    TENSES,
    Person,
    VerbEntry,
)

MisConjugationType = Literal[
    "missing_third_person_s",
    "overregularization_past",
    "wrong_aux_will_with_to",
    "wrong_aux_going_to_missing_ing",
    "subject_verb_disagreement",
    "bare_participle_missing_aux",
]

#: The six codes, spelled exactly as in the seed; the order is the order of every report.
MIS_CONJUGATION_TYPES: Final[tuple[MisConjugationType, ...]] = (
    "missing_third_person_s",
    "overregularization_past",
    "wrong_aux_will_with_to",
    "wrong_aux_going_to_missing_ing",
    "subject_verb_disagreement",
    "bare_participle_missing_aux",
)

#: Types whose wrong form has a subject in front of a participle, so it is corrected to the present perfect.
PERFECT_CORRECTED: Final[frozenset[str]] = frozenset(
    {"subject_verb_disagreement", "bare_participle_missing_aux"}
)

#: A disagreeing auxiliary for each person (`he am going to work`, `you is`); the forms learners produce.
WRONG_BE_PRESENT: Final[dict[str, str]] = {"1sg": "is", "2sg": "is", "3sg": "am"}
WRONG_BE_PAST: Final[dict[str, str]] = {"1sg": "were", "2sg": "was", "3sg": "were"}
WRONG_HAVE_PRESENT: Final[dict[str, str]] = {"1sg": "has", "2sg": "has", "3sg": "have"}


def _subject(form: str, entry: VerbEntry, tense: str, person: str | None) -> str:
    """Check `form` is the correct form of the cell and return its subject ('' when bare)."""
    expected = conjugate_english(entry.english_lemma, tense, person)
    if form != expected:
        raise ValueError(
            f"form {form!r} is not the correct form of ({entry.english_lemma}, {tense}, {person}); "
            f"expected {expected!r}"
        )
    if resolve_tense(tense) in PERSON_INVARIANT_TENSES:
        return ""
    return ENGLISH_PRONOUNS[require_person(person, tense)]


@functools.cache
def _correct_texts(verb: str) -> frozenset[str]:
    """Every correct English form of `verb` over all 360 cells."""
    return frozenset(
        conjugate_english(verb, tense, person) for tense in TENSES for person in PERSONS
    )


def _wrong(entry: VerbEntry, text: str) -> str | None:
    """`text` unless it is a correct form of the verb (`he worked` is no error: it is the past simple)."""
    return None if text in _correct_texts(entry.english_lemma) else text


def apply_missing_third_person_s(
    form: str, entry: VerbEntry, tense: str, person: str | None
) -> str | None:
    """`he works` → `he work`: the bare lemma in the 3sg present (`he be`, `he have`, `he study`)."""
    subject = _subject(form, entry, tense, person)
    if resolve_tense(tense) != "present_simple" or person != "3sg":
        return None
    return _wrong(entry, f"{subject} {entry.english_lemma}")


def apply_overregularization_past(
    form: str, entry: VerbEntry, tense: str, person: str | None
) -> str | None:
    """`I went` → `I goed`, `eaten` → `eated`: an irregular verb given the regular -ed.

    Only irregular verbs in the past simple or participle; `be` is excluded because no learner form of it
    follows the -ed rule (its errors are agreement errors, `you was`).
    """
    subject = _subject(form, entry, tense, person)
    canonical = resolve_tense(tense)
    if entry.english_regularity != "irregular" or entry.english_lemma == "be":
        return None
    if canonical not in ("past_simple", "past_participle"):
        return None
    wrong = regular_past(entry.english_lemma)
    return _wrong(entry, f"{subject} {wrong}" if subject else wrong)


def apply_wrong_aux_will_with_to(
    form: str, entry: VerbEntry, tense: str, person: str | None
) -> str | None:
    """`he will work` → `he will to work`: `to` after the modal."""
    subject = _subject(form, entry, tense, person)
    if resolve_tense(tense) != "future_will":
        return None
    return _wrong(entry, f"{subject} will to {entry.english_lemma}")


def apply_wrong_aux_going_to_missing_ing(
    form: str, entry: VerbEntry, tense: str, person: str | None
) -> str | None:
    """`I am going to work` → `I am go to work`: the -ing of `going` dropped."""
    subject = _subject(form, entry, tense, person)
    if resolve_tense(tense) != "future_going_to":
        return None
    who = require_person(person, tense)
    return _wrong(entry, f"{subject} {ENGLISH_BE_PRESENT[who]} go to {entry.english_lemma}")


def _disagreeing(entry: VerbEntry, tense: str, who: Person) -> str | None:
    """The verb group with a wrong be/have auxiliary for `who`, or None where agreement is not at stake."""
    canonical = resolve_tense(tense)
    lemma = entry.english_lemma
    if canonical == "future_going_to":
        return f"{WRONG_BE_PRESENT[who]} going to {lemma}"
    if canonical == "past_participle":
        return f"{WRONG_HAVE_PRESENT[who]} {english_verb_phrase(lemma, canonical, None)}"
    if canonical == "present_simple" and lemma == "be":
        return WRONG_BE_PRESENT[who]
    if canonical == "past_simple" and lemma == "be":
        return WRONG_BE_PAST[who]
    if canonical == "present_simple" and lemma == "have" and who != "3sg":
        # `he have` is the missing -s error; the taxonomy keeps each wrong text under one code.
        return WRONG_HAVE_PRESENT[who]
    return None


def apply_subject_verb_disagreement(
    form: str, entry: VerbEntry, tense: str, person: str | None
) -> str | None:
    """A be/have auxiliary that does not agree: `you was`, `I has`, `he am going to work`, `you has worked`.

    On a participle cell the person says which subject to add (`worked` + 2sg → `you has worked`).
    """
    subject = _subject(form, entry, tense, person)
    if person is None:
        return None
    who = require_person(person, tense)
    wrong = _disagreeing(entry, tense, who)
    if wrong is None:
        return None
    return _wrong(entry, f"{subject or ENGLISH_PRONOUNS[who]} {wrong}")


def apply_bare_participle_missing_aux(
    form: str, entry: VerbEntry, tense: str, person: str | None
) -> str | None:
    """`gone` + 3sg → `he gone`: a subject with a participle and no `have`.

    Not applicable where the result is correct English (regular verbs and `had`: `he worked` is the past
    simple) or reads as another error (`he come` is the missing -s of `come`, whose participle is its lemma).
    """
    _subject(form, entry, tense, person)
    if resolve_tense(tense) != "past_participle" or person is None:
        return None
    if form == entry.english_lemma:
        return None
    who = require_person(person, tense)
    return _wrong(entry, f"{ENGLISH_PRONOUNS[who]} {form}")


ApplyFunc = Callable[[str, VerbEntry, str, str | None], str | None]

APPLY: Final[dict[MisConjugationType, ApplyFunc]] = {
    "missing_third_person_s": apply_missing_third_person_s,
    "overregularization_past": apply_overregularization_past,
    "wrong_aux_will_with_to": apply_wrong_aux_will_with_to,
    "wrong_aux_going_to_missing_ing": apply_wrong_aux_going_to_missing_ing,
    "subject_verb_disagreement": apply_subject_verb_disagreement,
    "bare_participle_missing_aux": apply_bare_participle_missing_aux,
}


def check_type(code: str) -> MisConjugationType:
    for known in MIS_CONJUGATION_TYPES:
        if code == known:
            return known
    raise ValueError(
        f"unknown mis-conjugation type {code!r}; the taxonomy is closed: {', '.join(MIS_CONJUGATION_TYPES)}"
    )


def mis_conjugate(code: str, entry: VerbEntry, tense: str, person: str | None) -> str | None:
    """The wrong form of type `code` for a cell (None if not applicable)."""
    kind = check_type(code)
    form = conjugate_english(entry.english_lemma, tense, person)
    return APPLY[kind](form, entry, tense, person)


def eligible_mis_conjugations(
    entry: VerbEntry, tense: str, person: str | None
) -> list[MisConjugationType]:
    """The types that produce a wrong form for this cell, in taxonomy order."""
    return [code for code in MIS_CONJUGATION_TYPES if mis_conjugate(code, entry, tense, person)]


def row_person(code: str, tense: str, person: str | None) -> str | None:
    """The person a wrong row is labelled with: its subject's, or None for a bare (subject-less) form."""
    check_type(code)
    if resolve_tense(tense) in PERSON_INVARIANT_TENSES and code not in PERFECT_CORRECTED:
        return None
    return person


def correct_form_for(code: str, entry: VerbEntry, tense: str, person: str | None) -> str:
    """The English a wrong form should have been: the cell's form, or the present perfect for subject +
    participle errors (`he gone` → `he has gone`)."""
    check_type(code)
    if code in PERFECT_CORRECTED and resolve_tense(tense) == "past_participle":
        return english_present_perfect(entry.english_lemma, require_person(person, tense))
    return conjugate_english(entry.english_lemma, tense, person)
