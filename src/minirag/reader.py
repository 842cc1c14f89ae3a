"""An extractive, citation-first reader, and the closed-book guesser it falls back to.

The shipped grammar Mini-GPT (context 96 tokens) was trained only to correct sentences; it cannot read a
prompt of rules and answer a question, and a prompt with even two chunks overflows its window. So the reader
here is extractive and says nothing a retrieved chunk does not vouch for:

- A form question ("past participle of eat", "¿el pasado de write?") is parsed into (verb, tense, person).
  The form comes from the truth table, but it is stated only if a retrieved chunk vouches for it: the chunk
  contains the form's word and declares the verb or the tense, or it declares both. That chunk is cited.
- Any other question is answered with the best-matching sentences of the top retrieved chunks, cited.
- With no vouching chunk (retrieval missed, or was skipped: phase 29's break) the reader answers closed-book:
  it guesses by the regular pattern (+ed, +s) and cites nothing. That is what a model without the KB knows,
  and it is exactly how irregular verbs get regularised ("eated", "writed").

Whatever happens, a cited id is one of the retrieved ids: citations are attached from the hits, never typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from minirag.chunk import Chunk
from minirag.lexicon import TENSE_NAMES, Lexicon, load_lexicon, person_in, tense_in
from minirag.prompt import DONT_KNOW
from minirag.retriever import Hit
from minirag.text import analyze, tokenize

SPANISH_HINT = re.compile(
    r"¿|\b(cuál|cuáles|cómo|qué|cuándo|por qué|de|el|la|en inglés|se|es)\b", re.IGNORECASE
)
MARKUP_RE = re.compile(r"\*\*|`")  # markdown emphasis the answer need not repeat
BLANK_RE = re.compile(r"_{2,}")
BLANK_GOING_TO_RE = re.compile(r"_{2,}\s+going to\b")
PRONOUN = {"1sg": "I", "2sg": "you", "3sg": "he"}
BE = {"1sg": "am", "2sg": "are", "3sg": "is"}
PERSON_FREE = ("past_participle", "infinitive")


@dataclass(frozen=True)
class Answer:
    text: str
    cited: tuple[str, ...]  # chunk ids, all among the retrieved ones
    grounded: bool  # False: the closed-book guess, or "I don't know"
    verb: str | None = None
    tense: str | None = None
    form: str | None = None


def spanish(query: str) -> bool:
    return bool(SPANISH_HINT.search(query))


def regular_past(lemma: str) -> str:
    if lemma.endswith("e"):
        return lemma + "d"
    if len(lemma) > 2 and lemma.endswith("y") and lemma[-2] not in "aeiou":
        return lemma[:-1] + "ied"
    return lemma + "ed"


def regular_third(lemma: str) -> str:
    if lemma.endswith(("s", "sh", "ch", "x", "o")):
        return lemma + "es"
    if len(lemma) > 2 and lemma.endswith("y") and lemma[-2] not in "aeiou":
        return lemma[:-1] + "ies"
    return lemma + "s"


def regular_guess(lemma: str, tense: str, person: str) -> str:
    """The closed-book answer: the productive rule applied to every verb, irregular or not."""
    subject = PRONOUN[person]
    if tense == "past_participle":
        return regular_past(lemma)
    if tense == "infinitive":
        return f"to {lemma}"
    if tense == "past_simple":
        return f"{subject} {regular_past(lemma)}"
    if tense == "present_simple":
        return f"{subject} {regular_third(lemma) if person == '3sg' else lemma}"
    if tense == "future_will":
        return f"{subject} will {lemma}"
    return f"{subject} {BE[person]} going to {lemma}"


def _word_in(word: str, text: str) -> bool:
    return word in tokenize(text)


class ExtractiveReader:
    def __init__(self, lexicon: Lexicon | None = None, sentences: int = 2) -> None:
        self.lexicon = lexicon or load_lexicon()
        self.sentences = sentences

    def _vouching(
        self, hits: Sequence[Hit], verb: str, tense: str, word: str, *, regular: bool
    ) -> Hit | None:
        """The chunk that supports the form, strongest evidence first: it shows the form and is about the
        verb; it is about the verb and the tense; it shows the form and is about the tense; or (for a form the
        regular pattern produces) it is a rule for that tense, whose pattern yields the form. Among chunks with
        the same evidence the most specific rule wins (fewest verbs: "eat → ate → eaten" over "the past
        simple"), then the better rank."""
        tests: list[Callable[[Chunk], bool]] = [
            lambda c: _word_in(word, c.indexed_text) and verb in c.verbs,
            lambda c: verb in c.verbs and tense in c.tenses,
            lambda c: _word_in(word, c.indexed_text) and tense in c.tenses,
        ]
        if regular:
            tests.append(lambda c: tense in c.tenses)
        for test in tests:
            found = [
                (len(h.chunk.verbs) or len(self.lexicon.verbs), i)
                for i, h in enumerate(hits)
                if test(h.chunk)
            ]
            if found:
                return hits[min(found)[1]]
        return None

    def _form_answer(self, query: str, hits: Sequence[Hit], verb: str, tense: str) -> Answer:
        person = person_in(query) or "3sg"
        if tense in PERSON_FREE:
            person = "3sg"
        form = self.lexicon.form(verb, tense, person)
        es = spanish(query)
        name = TENSE_NAMES[tense]["es" if es else "en"]
        guess = regular_guess(verb, tense, person)
        evidence = self._vouching(hits, verb, tense, tokenize(form)[-1], regular=form == guess)
        if evidence is None:
            text = (
                f'Sin una regla recuperada; por el patrón regular: "{guess}".'
                if es
                else f'No retrieved rule covers this; by the regular pattern: "{guess}".'
            )
            return Answer(text, (), False, verb, tense, guess)
        spanish_form = self.lexicon.form(verb, tense, person, "es")
        text = (
            f'El {name} de "{verb}" es "{form}" ({spanish_form}). [{evidence.chunk_id}]'
            if es
            else f'The {name} of "{verb}" is "{form}" ({spanish_form}). [{evidence.chunk_id}]'
        )
        return Answer(text, (evidence.chunk_id,), True, verb, tense, form)

    def _extract(self, query: str, hits: Sequence[Hit]) -> Answer:
        if not hits:
            return Answer(DONT_KNOW, (), False)
        terms = set(analyze(query, stemming=True))
        top = hits[0]
        ranked = sorted(
            enumerate(re.split(r"(?<=[.!?])\s+", top.chunk.text)),
            key=lambda item: (-len(terms & set(analyze(item[1], stemming=True))), item[0]),
        )
        chosen = sorted(ranked[: self.sentences])  # back in reading order
        body = MARKUP_RE.sub("", " ".join(s for _, s in chosen))
        return Answer(f"{top.chunk.title}: {body} [{top.chunk_id}]", (top.chunk_id,), True)

    def answer(self, query: str, hits: Sequence[Hit]) -> Answer:
        verb, tense = self.lexicon.verb_in(query), tense_in(query)
        if (
            BLANK_GOING_TO_RE.search(query.lower()) or tense is None and BLANK_RE.search(query)
        ):  # "you ___ going to watch (be)": the auxiliary itself
            tense = "present_simple"
        if verb is not None and tense is not None:
            return self._form_answer(query, hits, verb, tense)
        return self._extract(query, hits)


__all__ = [
    "Answer",
    "ExtractiveReader",
    "regular_guess",
    "regular_past",
    "regular_third",
    "spanish",
]
