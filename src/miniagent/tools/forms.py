"""Every English verb group the truth table can produce, indexed by its text, and who may say it.

The tools and the tutor's parser ask the same two questions of a string — "which (verb, tense) is `went`?" and
"may a 3sg subject say it?" — so the answer is computed once here, from `minicorpus.conjugate`, and no form is
typed by hand. A present perfect (`has gone`) is stored under the participle cell with the persons whose `have`
it uses; a bare participle (`gone`) is stored with no person at all, because no subject may say it alone.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final

from minicorpus.conjugate import english_participle, english_verb_phrase, get_entry
from minicorpus.verb_table import ENGLISH_HAVE_PRESENT, PERSONS, VERBS, Person, Tense

FINITE_TENSES: Final[tuple[Tense, ...]] = (
    "present_simple",
    "past_simple",
    "future_will",
    "future_going_to",
)
#: Subjects the tutor reads as a person; anything plural is out of scope (the table has 1sg/2sg/3sg only).
PRONOUN_PERSON: Final[dict[str, Person]] = {
    "i": "1sg",
    "you": "2sg",
    "he": "3sg",
    "she": "3sg",
    "it": "3sg",
}
PLURAL_PRONOUNS: Final[frozenset[str]] = frozenset({"we", "they", "these", "those", "us", "them"})
IRREGULAR_PLURALS: Final[frozenset[str]] = frozenset(
    {"children", "people", "men", "women", "feet", "teeth", "mice", "police", "friends", "parents"}
)
_SINGULAR_S_ENDINGS: Final[tuple[str, ...]] = ("ss", "us", "is", "ous", "'s")


@dataclass(frozen=True)
class Reading:
    """One way to read a verb group: its cell, and the persons that may use it (empty: nobody alone)."""

    verb: str
    tense: Tense
    persons: frozenset[Person]


@functools.cache
def form_index() -> dict[str, tuple[Reading, ...]]:
    """Lower-case verb group -> its readings, over the 20 verbs (`went` -> go/past_simple/all persons)."""
    found: dict[str, dict[tuple[str, Tense], set[Person]]] = {}

    def add(text: str, verb: str, tense: Tense, persons: set[Person]) -> None:
        found.setdefault(text, {}).setdefault((verb, tense), set()).update(persons)

    for verb in VERBS:
        for tense in FINITE_TENSES:
            for person in PERSONS:
                add(english_verb_phrase(verb, tense, person), verb, tense, {person})
        participle = english_participle(get_entry(verb))
        add(participle, verb, "past_participle", set())
        for person in PERSONS:
            add(f"{ENGLISH_HAVE_PRESENT[person]} {participle}", verb, "past_participle", {person})
    return {
        text: tuple(Reading(v, t, frozenset(p)) for (v, t), p in cells.items())
        for text, cells in found.items()
    }


def readings(verb_group: str) -> tuple[Reading, ...]:
    """The readings of `verb_group` (case and extra spaces ignored); () when the table never says it."""
    return form_index().get(" ".join(verb_group.lower().split()), ())


def correct_group(verb: str, tense: Tense, person: Person) -> str:
    """The verb group a subject of `person` needs in this cell; the present perfect for a participle cell."""
    if tense == "past_participle":
        return f"{ENGLISH_HAVE_PRESENT[person]} {english_participle(get_entry(verb))}"
    return english_verb_phrase(verb, tense, person)


def subject_person(subject: str) -> Person | None:
    """1sg/2sg/3sg for a singular subject; None for a plural one (`we`, `my parents`, `Ana and Tom`)."""
    typed = [w.strip(",.;:!?\"'") for w in subject.split()]
    words = [w.lower() for w in typed if w]
    if not words:
        return None
    if len(words) == 1 and typed[-1][:1].isupper() and words[0] not in PRONOUN_PERSON:
        return (
            None if words[0] in PLURAL_PRONOUNS | IRREGULAR_PLURALS else "3sg"
        )  # a name: James, Carlos
    if len(words) == 1 and words[0] in PRONOUN_PERSON:
        return PRONOUN_PERSON[words[0]]
    if "and" in words or any(w in PLURAL_PRONOUNS for w in words):
        return None
    head = words[-1]
    if head in IRREGULAR_PLURALS:
        return None
    if len(head) > 3 and head.endswith("s") and not head.endswith(_SINGULAR_S_ENDINGS):
        return None
    return "3sg"


__all__ = [
    "FINITE_TENSES",
    "PRONOUN_PERSON",
    "Reading",
    "correct_group",
    "form_index",
    "readings",
    "subject_person",
    "VERBS",
]
