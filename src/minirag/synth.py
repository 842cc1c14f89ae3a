"""Query-like training texts derived from the KB itself, for the bi-encoder's InfoNCE pairs.

Per rule: its title, each body sentence, and questions generated from the truth table for every (verb, tense)
its front matter declares ("past participle of eat", "¿cuál es el participio pasado de comer?", "eaten"). The
labelled evaluation queries are never read here, so the dense retriever's scores on them are held-out scores.
"""

from __future__ import annotations

from collections.abc import Sequence

from minirag.chunk import sentences
from minirag.facets import error_phrases, error_rule_id
from minirag.kb import Rule
from minirag.lexicon import TENSE_NAMES, Lexicon, load_lexicon

TEMPLATES_EN = ("what is the {tense} of {verb}", "{tense} of {verb}", "{verb} {tense}", "{form}")
TEMPLATES_ES = (
    "¿cuál es el {tense} de {verb}?",
    "{tense} de {spanish} en inglés",
    "cómo se dice {es_form} en inglés",
)
# Spanglish, as learners mix: a Spanish frame around English grammar words, and the reverse.
TEMPLATES_MIXED = ("el {tense_en} de {verb}", "the {tense_en} de {spanish}", "{es_form} = ?")
TEMPLATES_ERROR = ("{wrong}", "why is '{wrong}' wrong", "¿por qué está mal '{wrong}'?")
ERROR_PHRASES_PER_RULE = 40


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
                out += [
                    t.format(tense_en=TENSE_NAMES[tense]["en"], **fill) for t in TEMPLATES_MIXED
                ]
    return out


def error_questions(rule: Rule) -> list[str]:
    """For an error rule, the wrong phrases the corpus taxonomy generates for its code, as a learner would
    paste them: the rule's own error, over every verb of the table (a deterministic, evenly spaced sample)."""
    phrases = sorted(
        " ".join(phrase)
        for phrase, codes in error_phrases().items()
        if any(error_rule_id(code) == rule.id for code in codes)
    )
    if not phrases:
        return []
    step = max(1, len(phrases) // ERROR_PHRASES_PER_RULE)
    return [t.format(wrong=w) for w in phrases[::step] for t in TEMPLATES_ERROR]


def training_pairs(rules: Sequence[Rule], lexicon: Lexicon | None = None) -> dict[str, list[str]]:
    """rule id -> deduplicated query-like texts (both languages pooled: one rule, one label)."""
    lex = lexicon if lexicon is not None else load_lexicon()
    texts: dict[str, list[str]] = {}
    for rule in rules:
        bucket = texts.setdefault(rule.id, [])
        bucket += [
            rule.title,
            *sentences(rule.body),
            *rule_questions(rule, lex),
            *error_questions(rule),
        ]
    return {rid: sorted(set(ts)) for rid, ts in texts.items()}


__all__ = ["error_questions", "rule_questions", "training_pairs"]
