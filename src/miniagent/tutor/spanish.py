"""The Spanish of a corrected sentence when it is one the corpus could have written: exact, not generated.

A corrected sentence made of a known subject, one of its verb's complements and a known time adverb at the
start or the end is a corpus frame, and `minicorpus.spanish` builds its translation from the same table the
English came from (ser/estar, imperfect for states, gustar's inversion). Anything else returns None and the
tutor falls back on the model's Spanish.
"""

from __future__ import annotations

from minicorpus.frames import (
    SPANISH_ADVERBS,
    THIRD_PERSON_SUBJECTS,
    Frame,
    complement,
)
from minicorpus.spanish import spanish_sentence
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


__all__ = ["frame_translation"]
