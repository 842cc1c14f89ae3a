"""The Spanish of a corrected sentence when it is one the corpus could have written: exact, not generated.

A corrected sentence made of a known subject, one of its verb's complements and a known time adverb at the
start or the end is a corpus frame, and `minicorpus.spanish` builds its translation from the same table the
English came from (ser/estar, imperfect for states, gustar's inversion). Anything else returns None and the
tutor falls back on the model's Spanish.
"""

from __future__ import annotations

import functools
import re

from minicorpus.frames import (
    ADVERBS,
    COMPLEMENTS,
    SPANISH_ADVERBS,
    THIRD_PERSON_SUBJECTS,
    Frame,
    complement,
)
from minicorpus.spanish import spanish_sentence, spanish_verb_group
from minicorpus.verb_table import Person, Tense

_PRONOUNS = {"i": "I", "you": "you", "he": "he", "she": "she", "it": "it"}


def _subject(text: str) -> str | None:
    if text.lower() in _PRONOUNS:
        return _PRONOUNS[text.lower()]
    return text if text in THIRD_PERSON_SUBJECTS else None


def _adverb(text: str) -> tuple[str, str, str]:
    """(adverb, position, the rest of the sentence) for a known time adverb at either end."""
    low = text.lower()
    for adverb in sorted(SPANISH_ADVERBS, key=len, reverse=True):
        if low.startswith(adverb + " ") or low.startswith(adverb + ", "):
            return adverb, "initial", text[len(adverb) :].lstrip(", ")
        if low.endswith(" " + adverb):
            return adverb, "final", text[: -len(adverb)].rstrip(", ")
    return "", "none", text


def frame_translation(
    sentence: str, subject: str, verb: str, tense: Tense, person: Person, group: str
) -> str | None:
    """The corpus's Spanish for `sentence` (already correct, its verb group `group`), or None."""
    body = sentence.strip().rstrip(".!").strip()
    adverb, position, core = _adverb(body)
    who = _subject(subject)
    head = f"{subject} {group}"
    if who is None or not core.lower().startswith(head.lower()):
        return None
    rest = core[len(head) :].strip()
    try:
        complement(verb, rest)
    except KeyError:
        return None
    return spanish_sentence(verb, tense, person, Frame(who, rest, adverb, position))


_EN_PREPOSITIONS = ("to ", "at ", "in ", "with ", "on ", "about ", "for ")
_ES_PREPOSITIONS = ("a ", "en ", "con ", "de ", "por ", "para ")


def _core(english: str, spanish: str) -> tuple[str, str]:
    """The pair without its leading prepositions (`to the beach`/`a la playa` → `the beach`/`la playa`)."""
    en = next((english[len(p) :] for p in _EN_PREPOSITIONS if english.startswith(p)), english)
    es = next((spanish[len(p) :] for p in _ES_PREPOSITIONS if spanish.startswith(p)), spanish)
    return en, es


@functools.cache
def _phrase_pairs() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(English, Spanish pattern) for every corpus complement and adverb whose Spanish is a phrase."""
    pairs = {(c.english, c.spanish) for items in COMPLEMENTS.values() for c in items if c.english}
    pairs |= {pair for items in ADVERBS.values() for pair in items}
    pairs |= {_core(english, spanish) for english, spanish in pairs}
    return tuple(
        (english.lower(), re.compile(rf"\b{re.escape(spanish.lower())}\b"))
        for english, spanish in sorted(pairs)
        if " " in spanish
    )


@functools.cache
def spanish_groups(verb: str, tense: Tense, person: Person) -> frozenset[str]:
    """Every Spanish verb group the corpus uses for the cell (ser/estar, preterite/imperfect: `fue`, `estaba`,
    `era`), so a model's Spanish can be checked for the table's verb."""
    return frozenset(spanish_verb_group(verb, tense, person, item) for item in COMPLEMENTS[verb])


def has_table_verb(spanish: str, verb: str, tense: Tense, person: Person) -> bool:
    low = spanish.lower()
    return any(
        re.search(rf"\b{re.escape(group)}\b", low) for group in spanish_groups(verb, tense, person)
    )


def invents(english: str, spanish: str) -> str | None:
    """A Spanish phrase the model wrote whose English is nowhere in the sentence (`la playa` for "I like it"),
    or None. A cheap guard, not a translation check: it only knows the corpus's phrases."""
    low_en, low_es = english.lower(), spanish.lower()
    for phrase, pattern in _phrase_pairs():
        if pattern.search(low_es) and phrase not in low_en:
            return pattern.pattern
    return None


__all__ = ["frame_translation", "has_table_verb", "invents", "spanish_groups"]
