"""The Spanish of a corrected sentence when it is one the corpus could have written: exact, not generated.

And the guards on the model's Spanish when it is not: the table's verb must be in it, it must not name what
the sentence does not (`invents`), and neither side may hold a word the corpus never does (`unknown_words`) —
a 0.9 M-parameter model trained on ~200 English words writes spelling noise for the rest.

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
    SPANISH_SUBJECT_PRONOUNS,
    THIRD_PERSON_SUBJECTS,
    Frame,
    complement,
)
from minicorpus.spanish import spanish_sentence, spanish_verb_group
from minicorpus.verb_table import PERSONS, Person, Tense

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


def partial_translation(sentence: str, subject: str, group: str, clause: str) -> str:
    """The table's Spanish verb clause with the sentence's subject and time adverb around it, and `…` where
    words the corpus cannot translate were: "I had a terrible headache yesterday." → "Ayer yo tuve …"."""
    body = sentence.strip().rstrip(".!?").strip()
    adverb, position, core = _adverb(body)
    verb = clause.split(" ", 1)[1] if clause.split(" ", 1)[0] in ("yo", "tú", "él") else clause
    pronoun = SPANISH_SUBJECT_PRONOUNS.get(_PRONOUNS.get(subject.lower(), ""), None)
    # a name stays a name; a noun phrase the corpus cannot translate ("my sister") is left out, as `…`
    who = (
        pronoun
        if pronoun is not None
        else subject
        if re.fullmatch(r"[A-Z][a-z]+", subject)
        else "…"
    )
    if verb.split(" ", 1)[0] in ("me", "te", "le"):  # gustar: the liker is the indirect object
        who = "" if who in ("yo", "tú", "") else who if who == "…" else f"a {who}"
    rest = words(core) - words(f"{subject} {group}")
    parts = [SPANISH_ADVERBS[adverb]] if position == "initial" else []
    parts += [f"{who} {verb}".strip()] + (["…"] if rest else [])
    parts += [SPANISH_ADVERBS[adverb]] if position == "final" else []
    text = " ".join(parts)
    return text[0].upper() + text[1:] + ("" if rest and position != "final" else ".")


_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_TENSES: tuple[Tense, ...] = (
    "present_simple",
    "past_simple",
    "past_participle",
    "future_will",
    "future_going_to",
)


def words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


@functools.cache
def corpus_vocabulary() -> tuple[frozenset[str], frozenset[str]]:
    """Every English and Spanish word a sentence of the tutor corpus can hold, built from the generator's own
    parts (each verb × tense × person × complement × subject through `spanish_sentence`, every adverb) — what
    the model was trained on, and so the limit of what its Spanish can be trusted with."""
    english: set[str] = {
        "i",
        "you",
        "am",
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "will",
        "going",
        "to",
    }
    spanish: set[str] = set()
    for pairs in ADVERBS.values():
        for en, es in pairs:
            english |= words(en)
            spanish |= words(es)
    for subject in THIRD_PERSON_SUBJECTS:
        english |= words(subject)
    for verb, items in COMPLEMENTS.items():
        for item in items:
            english |= words(item.english)
        for tense in _TENSES:
            for person in PERSONS:
                english |= words(_english_group(verb, tense, person))
                subjects = (
                    ("I",)
                    if person == "1sg"
                    else ("you",)
                    if person == "2sg"
                    else THIRD_PERSON_SUBJECTS
                )
                for subject in subjects:
                    for item in items:
                        frame = Frame(subject, item.english, "", "none")
                        spanish |= words(spanish_sentence(verb, tense, person, frame))
    return frozenset(english), frozenset(spanish)


def _english_group(verb: str, tense: Tense, person: Person) -> str:
    from miniagent.tools.forms import correct_group  # the table's verb group for the cell

    return correct_group(verb, tense, person)


def unknown_words(english: str, spanish: str) -> tuple[str, ...]:
    """Words of the pair the corpus never holds (`headache`, `trabajoidoañ`): where the tiny model has never
    seen a word it cannot translate it, and where it writes one it has never seen it is spelling noise."""
    known_en, known_es = corpus_vocabulary()
    return tuple(sorted((words(english) - known_en) | (words(spanish) - known_es)))


__all__ = [
    "corpus_vocabulary",
    "frame_translation",
    "has_table_verb",
    "invents",
    "partial_translation",
    "spanish_groups",
    "unknown_words",
]
