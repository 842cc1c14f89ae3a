"""Word tokens for the lexical side of retrieval (BM25, the hashing embedder) and a deliberately tiny stemmer.

Lexical retrieval matches words, not BPE pieces: `\\w+` over lower-cased text keeps accents (`trabajó` stays one
token), which matters for the Spanish half of the KB. The stemmer strips a handful of English and Spanish
inflection endings so that `studies`/`studied`/`study` meet in one term; it is a control knob for the BM25 lab,
not a linguistic tool (a real one would be Porter or Snowball), and it is off by default.
"""

from __future__ import annotations

import re

TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)

# Longest suffix first; a suffix is stripped only when at least MIN_STEM characters remain, so short words
# (is, has, went) pass through untouched.
SUFFIXES = (
    "iendo",
    "ando",
    "ing",
    "ies",
    "ied",
    "es",
    "ed",
    "ado",
    "ido",
    "s",
)
MIN_STEM = 3

# Question words and articles of English and Spanish that carry no grammar. Not listed on purpose: the words
# the KB is *about* (do, does, have, has, will, to, be, am, is, are, was): "how to" is noise, "will + to" is
# an error code.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "for",
        "from",
        "with",
        "and",
        "or",
        "but",
        "this",
        "that",
        "it",
        "its",
        "i",
        "me",
        "my",
        "we",
        "what",
        "how",
        "why",
        "when",
        "where",
        "which",
        "who",
        "whose",
        "can",
        "could",
        "should",
        "would",
        "please",
        "tell",
        "explain",
        "mean",
        "means",
        "say",
        "said",
        "el",
        "la",
        "los",
        "las",
        "un",
        "una",
        "unos",
        "unas",
        "de",
        "del",
        "al",
        "en",
        "y",
        "o",
        "que",
        "qué",
        "cómo",
        "como",
        "cuál",
        "cuáles",
        "cuándo",
        "cuando",
        "por",
        "para",
        "porque",
        "con",
        "se",
        "lo",
        "le",
        "me",
        "mi",
        "es",
        "un",
        "una",
    ]
)


def tokenize(text: str) -> list[str]:
    """Lower-cased `\\w+` runs: `tokenize("ÉL trabajó") == ["él", "trabajó"]`."""
    return [t.lower() for t in TOKEN_RE.findall(text)]


def stem(word: str) -> str:
    """Strip one inflection ending (longest first); `-ies`/`-ied` become `-y` so study/studies/studied agree."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            base = word[: -len(suffix)]
            return base + "y" if suffix in ("ies", "ied") else base
    return word


def analyze(text: str, *, stemming: bool = False, stopwords: bool = False) -> list[str]:
    """The terms BM25 indexes: tokens, without stopwords and stemmed when asked."""
    tokens = [t for t in tokenize(text) if t not in STOPWORDS] if stopwords else tokenize(text)
    return [stem(t) for t in tokens] if stemming else tokens


__all__ = ["MIN_STEM", "STOPWORDS", "SUFFIXES", "TOKEN_RE", "analyze", "stem", "tokenize"]
