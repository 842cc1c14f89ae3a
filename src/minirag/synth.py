"""Query-like training texts derived from the KB itself, for the bi-encoder's InfoNCE pairs.

Per rule: its title, each body sentence, and questions generated from the truth table for every (verb, tense)
its front matter declares ("past participle of eat", "¿cuál es el participio pasado de comer?", "eaten"). The
labelled evaluation queries are never read here, so the dense retriever's scores on them are held-out scores.
"""

from __future__ import annotations

from collections.abc import Sequence

from minirag.chunk import sentences
from minirag.kb import Rule
from minirag.lexicon import TENSE_NAMES, Lexicon, load_lexicon

TEMPLATES_EN = ("what is the {tense} of {verb}", "{tense} of {verb}", "{verb} {tense}", "{form}")
TEMPLATES_ES = (
    "¿cuál es el {tense} de {verb}?",
    "{tense} de {spanish} en inglés",
    "cómo se dice {es_form} en inglés",
)


def rule_questions(rule: Rule, lexicon: Lexicon) -> list[str]:
    out: list[str] = []
    for verb in rule.verbs:
        if verb not in lexicon.forms:
            continue
        for tense in rule.tenses:
            if tense not in lexicon.forms[verb]:
                continue
            for person in rule.persons or ("3sg",):
                cell = lexicon.forms[verb][tense].get(person)
                if cell is None:
                    continue
                fill = {
                    "verb": verb,
                    "spanish": lexicon.spanish[verb],
                    "form": cell["en"],
                    "es_form": cell["es"],
                }
                out += [t.format(tense=TENSE_NAMES[tense]["en"], **fill) for t in TEMPLATES_EN]
                out += [t.format(tense=TENSE_NAMES[tense]["es"], **fill) for t in TEMPLATES_ES]
    return out


def training_pairs(rules: Sequence[Rule], lexicon: Lexicon | None = None) -> dict[str, list[str]]:
    """rule id -> deduplicated query-like texts (both languages pooled: one rule, one label)."""
    lex = lexicon if lexicon is not None else load_lexicon()
    texts: dict[str, list[str]] = {}
    for rule in rules:
        bucket = texts.setdefault(rule.id, [])
        bucket += [rule.title, *sentences(rule.body), *rule_questions(rule, lex)]
    return {rid: sorted(set(ts)) for rid, ts in texts.items()}


__all__ = ["rule_questions", "training_pairs"]
