"""What a question is about, in the KB's own front-matter terms: verbs, tense, and error codes.

Every rule declares the verbs and tenses it covers, and each error rule is named after one code of the tutor
corpus' error taxonomy. A question carries the same facets, and they can be read off it without any
question-specific rule:

- **verbs**: any word that is a form of one of the truth table's verbs, in English or Spanish (`went`, `comí`,
  `venir`), or a misspelling the KB validator generates for it (`eated`, `writed`). Words that are much likelier
  grammar talk than the verb asked about (`have`, `will`, `do`) count only when the question names the verb;
- **tense**: the lexicon's tense keywords (`past participle`, `pasado`, `going to`...), else the tense of a
  quoted Spanish form (`'yo comí'` is a past simple);
- **error codes**: a phrase of the question is one the taxonomy's own generators produce for that code
  (`he will to go` → wrong_aux_will_with_to, `he eated` → overregularization_past), with the subject
  normalised and not right after an auxiliary (`does he work?` is a question, not a missing -s).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from minicorpus.conjugate import conjugate_english
from minicorpus.mis_conjugate import APPLY
from minicorpus.verb_table import VERB_TABLE
from minirag.kb_validate import AUXILIARIES, THIRD_PERSON, normalise, truth, words
from minirag.lexicon import Lexicon, load_lexicon, tense_in

MAX_PHRASE = 5
BLANK_RE = re.compile(r"_{2,}")


@dataclass(frozen=True)
class Facets:
    verbs: frozenset[str]
    tense: str | None
    errors: frozenset[str]  # error codes, e.g. "wrong_aux_will_with_to"

    @property
    def empty(self) -> bool:
        return not (self.verbs or self.tense or self.errors)


def error_rule_id(code: str) -> str:
    """The KB rule that explains an error code: `wrong_aux_will_with_to` → `error-wrong-aux-will-with-to`."""
    return "error-" + code.replace("_", "-")


@cache
def error_phrases() -> dict[tuple[str, ...], frozenset[str]]:
    """Every wrong phrase the taxonomy generates over the whole table, normalised, with the codes producing it."""
    out: dict[tuple[str, ...], set[str]] = {}
    t = truth()
    for verb, entry in VERB_TABLE.items():
        for tense in sorted(t.tenses):
            for person in sorted(t.persons):
                form = conjugate_english(verb, tense, person)
                for code, apply in APPLY.items():
                    text = apply(form, entry, tense, person)
                    if text is not None:
                        out.setdefault(normalise(text), set()).add(code)
    return {phrase: frozenset(codes) for phrase, codes in out.items()}


def _subjects(tokens: list[str]) -> list[str]:
    """Every third-person subject spelt `he`, as the taxonomy writes it (normalise() does only the first)."""
    return ["he" if w in THIRD_PERSON else w for w in tokens]


def errors_in(text: str) -> frozenset[str]:
    """The error codes whose phrases the text contains. A blank (`___`) is missing text, not a mistake, so no
    phrase may span it: "I ___ going to work" does not contain "I going to"."""
    table = error_phrases()
    found: set[str] = set()
    for part in BLANK_RE.split(text):
        tokens = _subjects(words(part))
        for i in range(len(tokens)):
            if i > 0 and tokens[i - 1] in AUXILIARIES:
                continue
            for n in range(1, min(MAX_PHRASE, len(tokens) - i) + 1):
                found |= table.get(tuple(tokens[i : i + n]), frozenset())
    return frozenset(found)


def verbs_in(text: str, lexicon: Lexicon) -> frozenset[str]:
    named = lexicon.verb_in(text)
    found = {named} if named is not None else set()
    misspelt = truth().misspelt
    for w in words(text):
        if w in lexicon.word_to_verb:
            found.add(lexicon.word_to_verb[w][1])
        elif w in misspelt:
            found.add(misspelt[w])
    return frozenset(found)


def facets(text: str, lexicon: Lexicon | None = None) -> Facets:
    lex = lexicon or load_lexicon()
    tense = tense_in(text)
    if tense is None:
        quoted = {t for _, t, _ in lex.spanish_cells(text)}
        tense = quoted.pop() if len(quoted) == 1 else None
    return Facets(verbs_in(text, lex), tense, errors_in(text))


__all__ = ["Facets", "error_phrases", "error_rule_id", "errors_in", "facets", "verbs_in"]
