"""The truth table as the reader and the pair generator need it: forms, and which words name a verb or tense.

Read from `data/conjugation_table.json` (the export of `minicorpus.verb_table`), so no form is typed here.
Query parsing is keyword spotting, bilingual on purpose: learners ask "¿cuál es el past participle de write?".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lynx_cortex.domain import TABLE_FILE
from lynx_cortex.errors import LynxError
from lynx_cortex.paths import data_dir
from minirag.text import tokenize

# First match wins, so the longer, more specific names come first ("past participle" before "past").
TENSE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "past_participle",
        re.compile(r"participle|participio|\bv3\b|present perfect|\bever\b|\balready\b"),
    ),
    ("future_going_to", re.compile(r"going to|\bir a\b|\bvoy a\b|\bva a\b")),
    ("future_will", re.compile(r"\bwill\b|future|futuro")),
    (
        "past_simple",
        re.compile(
            r"\bpast\b|pasado|pret[eé]rito|preterite|yesterday|\bayer\b|\bago\b|\blast\b|\bv2\b"
        ),
    ),
    ("present_simple", re.compile(r"present|presente|every day|third person|3rd|tercera")),
    ("infinitive", re.compile(r"infinitiv")),
)
PERSON_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("3sg", re.compile(r"\b(he|she|it|third|3rd|3sg|él|ella|tercera)\b")),
    ("2sg", re.compile(r"\b(you|second|2nd|2sg|tú|segunda)\b")),
    ("1sg", re.compile(r"\b(i|first|1st|1sg|yo|primera)\b")),
)
TENSE_NAMES: dict[str, dict[str, str]] = {
    "infinitive": {"en": "infinitive", "es": "infinitivo"},
    "present_simple": {"en": "present simple", "es": "presente simple"},
    "past_simple": {"en": "past simple", "es": "pasado simple"},
    "past_participle": {"en": "past participle", "es": "participio pasado"},
    "future_will": {"en": "future with will", "es": "futuro con will"},
    "future_going_to": {"en": "future with going to", "es": "futuro con going to"},
}


@dataclass(frozen=True)
class Lexicon:
    forms: dict[
        str, dict[str, dict[str, dict[str, str]]]
    ]  # verb -> tense -> person -> {"en", "es"}
    spanish: dict[str, str]  # verb -> Spanish lemma
    word_to_verb: dict[str, tuple[int, str]]  # single-word form -> (priority, verb); lower wins
    spanish_index: dict[tuple[str, ...], tuple[tuple[str, str, str], ...]]  # es words -> cells

    @property
    def verbs(self) -> tuple[str, ...]:
        return tuple(self.forms)

    def form(self, verb: str, tense: str, person: str = "3sg", lang: str = "en") -> str:
        return self.forms[verb][tense][person][lang]

    def spanish_cells(self, text: str) -> list[tuple[str, str, str]]:
        """The truth-table cells whose Spanish form (subject + verb, at least two words) the text quotes:
        "¿cómo se dice 'yo comí'?" → [(eat, past_simple, 1sg)]. The longest quoted form wins; a form two verbs
        share ("él fue": ser and ir) gives both. Subjects are spelt as the table spells them (ella → él)."""
        tokens = ["él" if w == "ella" else w for w in tokenize(text)]
        for n in range(min(MAX_CELL, len(tokens)), 1, -1):
            found = {
                cell
                for i in range(len(tokens) - n + 1)
                for cell in self.spanish_index.get(tuple(tokens[i : i + n]), ())
            }
            if found:
                return sorted(found)
        return []

    def verb_in(self, text: str) -> str | None:
        """The verb a text is about: an English lemma beats an English form, which beats a Spanish lemma, which
        beats a Spanish form (so "¿el pasado de write?" is about write, not about `es`); then the first word.
        Auxiliaries (have, do, ...) name a verb only as the object of the question: "the past of have"."""
        for named in NAMED_VERB_RE.finditer(text.lower()):
            word = named.group(1) or named.group(2)
            if word in self.forms:
                return word
        found = [
            (self.word_to_verb[w][0], i, self.word_to_verb[w][1])
            for i, w in enumerate(tokenize(text))
            if w in self.word_to_verb
        ]
        return min(found)[2] if found else None


def tense_in(text: str) -> str | None:
    low = text.lower()
    return next((tense for tense, pattern in TENSE_PATTERNS if pattern.search(low)), None)


def person_in(text: str) -> str | None:
    low = text.lower()
    return next((person for person, pattern in PERSON_PATTERNS if pattern.search(low)), None)


MAX_CELL = 5  # the longest Spanish cell, in words ("yo voy a comer" is 4)
NAMED_VERB_RE = re.compile(r"\((\w+)\)|\b(?:of|de|for|verb|verbo)\s+(?:to\s+)?['\"‘“]?(\w+)")

# Words that are forms of a verb but are far likelier to be grammar talk in a question ("have" in "present
# perfect: have + participle", "will", "do" in "do or does"); the verb is still found through its other forms.
AMBIGUOUS = frozenset(
    {
        "have",
        "has",
        "do",
        "does",
        "is",
        "are",
        "am",
        "will",
        "es",
        "ha",
        "he",
        "va",
        "voy",
        "vas",
        "a",
        "i",
    }
)


@cache
def load_lexicon(path: Path | None = None) -> Lexicon:
    source = path if path is not None else data_dir() / TABLE_FILE
    try:
        table = json.loads(source.read_text(encoding="utf-8"))
        verbs = table["verbs"]
        forms = {v: entry["forms"] for v, entry in verbs.items()}
        spanish = {v: entry["spanish_lemma"] for v, entry in verbs.items()}
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise LynxError(f"{source}: cannot read the truth table ({exc})") from exc
    word_to_verb: dict[str, tuple[int, str]] = {}
    for verb in sorted(forms):
        levels: list[set[str]] = [{verb}, set(), {spanish[verb]}, set()]
        for by_person in forms[verb].values():
            for cell in by_person.values():
                levels[1].update(tokenize(cell["en"])[-1:])
                levels[3].update(tokenize(cell["es"])[-1:])
        for priority, words in enumerate(levels):
            for word in words - AMBIGUOUS:
                if word not in word_to_verb or word_to_verb[word][0] > priority:
                    word_to_verb[word] = (priority, verb)
    cells: dict[tuple[str, ...], set[tuple[str, str, str]]] = {}
    for verb, by_tense in forms.items():
        for tense, by_person in by_tense.items():
            for person, cell in by_person.items():
                es_words = tuple(tokenize(cell["es"]))
                if len(es_words) >= 2:
                    cells.setdefault(es_words, set()).add((verb, tense, person))
    return Lexicon(
        forms=forms,
        spanish=spanish,
        word_to_verb=word_to_verb,
        spanish_index={w: tuple(sorted(c)) for w, c in cells.items()},
    )


__all__ = ["TENSE_NAMES", "Lexicon", "load_lexicon", "person_in", "tense_in"]
