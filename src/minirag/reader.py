"""An extractive, citation-first reader, and the closed-book guesser it falls back to.

The shipped grammar Mini-GPT (context 96 tokens) was trained only to correct sentences; it cannot read a
prompt of rules and answer a question, and a prompt with even two chunks overflows its window. So the reader
here is extractive and says nothing a retrieved chunk does not vouch for:

- A form question ("past participle of eat", "¿el pasado de write?", "¿cómo se dice 'yo comí'?") is parsed
  into (verb, tense, person); a quoted Spanish form names its cell directly. The form comes from the truth
  table, but it is stated only if a retrieved chunk vouches for it: the chunk contains the form's word and
  declares the verb or the tense, or it declares both. The most specific vouching chunk is cited: the rule of
  the error the question contains (a correction), else one that declares the verb *and* the tense and shows the
  form, else the rule about the fewest verbs. A fill-in-the-blank question also gets its sentence completed.
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
from minirag.facets import error_rule_id, errors_in
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
HINT_RE = re.compile(r"\s*\(\w+\)\s*$")  # the "(watch)" after a fill-in-the-blank
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


def completed(query: str, form: str) -> str | None:
    """A fill-in-the-blank with the form in the blank ("he ___ tv (watch)" → "he watches tv"); the form's own
    subject is dropped when the sentence already has one before the blank. None without a blank."""
    match = BLANK_RE.search(query)
    if match is None:
        return None
    words = form.split()
    before = tokenize(query[: match.start()])
    if len(words) > 1 and words[0].lower() in {"i", "you", "he"} and before:
        form = " ".join(words[1:])
    return HINT_RE.sub("", query[: match.start()] + form + query[match.end() :]).strip()


class ExtractiveReader:
    def __init__(self, lexicon: Lexicon | None = None, sentences: int = 2) -> None:
        self.lexicon = lexicon or load_lexicon()
        self.sentences = sentences

    def _vouching(
        self,
        hits: Sequence[Hit],
        verb: str,
        tense: str,
        word: str,
        *,
        regular: bool,
        errors: frozenset[str] = frozenset(),
    ) -> Hit | None:
        """The chunk that supports the form, strongest evidence first: it shows the form and is about the
        verb; it is about the verb and the tense; it shows the form and is about the tense; or (for a form the
        regular pattern produces) it is a rule for that tense, whose pattern yields the form. Among chunks with
        the same evidence the most specific rule wins (fewest verbs: "eat → ate → eaten" over "the past
        simple"), then the better rank. Before all of them: the rule of an error the question contains, when it
        declares the verb or the tense (a correction is explained by its error), then a chunk that shows the
        form and declares both the verb and the tense."""
        wanted = {error_rule_id(code) for code in errors}
        for h in hits:
            if h.rule_id in wanted and (verb in h.chunk.verbs or tense in h.chunk.tenses):
                return h
        tests: list[Callable[[Chunk], bool]] = [
            lambda c: _word_in(word, c.indexed_text) and verb in c.verbs and tense in c.tenses,
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

    def _form_answer(
        self, query: str, hits: Sequence[Hit], verb: str, tense: str, person: str | None = None
    ) -> Answer:
        person = person or person_in(query) or "3sg"
        if tense in PERSON_FREE:
            person = "3sg"
        form = self.lexicon.form(verb, tense, person)
        es = spanish(query)
        name = TENSE_NAMES[tense]["es" if es else "en"]
        guess = regular_guess(verb, tense, person)
        evidence = self._vouching(
            hits, verb, tense, tokenize(form)[-1], regular=form == guess, errors=errors_in(query)
        )
        if evidence is None:
            text = (
                f'Sin una regla recuperada; por el patrón regular: "{guess}".'
                if es
                else f'No retrieved rule covers this; by the regular pattern: "{guess}".'
            )
            return Answer(text, (), False, verb, tense, guess)
        spanish_form = self.lexicon.form(verb, tense, person, "es")
        text = (
            f'El {name} de "{verb}" es "{form}" ({spanish_form}).'
            if es
            else f'The {name} of "{verb}" is "{form}" ({spanish_form}).'
        )
        filled = completed(query, form)
        if filled is not None:
            text += f' {"Completa" if es else "Completed"}: "{filled}".'
        return Answer(
            f"{text} [{evidence.chunk_id}]", (evidence.chunk_id,), True, verb, tense, form
        )

    def _shared_answer(
        self, query: str, hits: Sequence[Hit], cells: Sequence[tuple[str, str, str]]
    ) -> Answer:
        """A quoted Spanish form two verbs share ("él fue": ser and ir): give every reading. The citation is a
        retrieved rule that declares all those verbs in that tense (the rule about the ambiguity), else each
        reading is answered and cited on its own."""
        verbs = {v for v, _, _ in cells}
        tense = cells[0][1]
        es = spanish(query)
        common = next(
            (h for h in hits if verbs <= set(h.chunk.verbs) and tense in h.chunk.tenses), None
        )
        if common is None:
            parts = [self._form_answer(query, hits, v, t, p) for v, t, p in cells]
            cited = tuple(dict.fromkeys(c for a in parts for c in a.cited))
            return Answer(" ".join(a.text for a in parts), cited, all(a.grounded for a in parts))
        readings = [
            f'"{self.lexicon.form(v, t, p)}" ({v})'  # e.g. "he went" (go)
            for v, t, p in cells
        ]
        spanish_form = self.lexicon.form(cells[0][0], tense, cells[0][2], "es")
        joined = (" o " if es else " or ").join(readings)
        text = (
            f'"{spanish_form}" tiene dos lecturas: {joined}.'
            if es
            else f'"{spanish_form}" has two readings: {joined}.'
        )
        return Answer(f"{text} [{common.chunk_id}]", (common.chunk_id,), True, tense=tense)

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
        cells = self.lexicon.spanish_cells(query) if tense is None else []
        if len({v for v, _, _ in cells}) > 1:
            return self._shared_answer(query, hits, cells)
        if cells:
            return self._form_answer(query, hits, *cells[0])
        return self._extract(query, hits)


__all__ = [
    "Answer",
    "ExtractiveReader",
    "completed",
    "regular_guess",
    "regular_past",
    "regular_third",
    "spanish",
]
