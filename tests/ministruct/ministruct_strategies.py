"""Hypothesis strategies shared by the phase-30 tests: random regexes of the subset, and texts to try on them."""

from __future__ import annotations

from hypothesis import strategies as st

#: The characters test texts are made of: ASCII letters, digits, punctuation, space, newline, and non-ASCII.
ALPHABET = "ab0 .\n\u00e9\u20ac-"

_ATOMS = st.sampled_from(
    [
        "a",
        "b",
        "0",
        " ",
        "\\.",
        "\\-",
        "\u00e9",
        "\\n",
        "\\x61",
        ".",
        "[ab]",
        "[a-c0]",
        "[^a]",
        "[^\\n]",
        "[\u00e9b]",
        "[-a]",
        "\\d",
        "\\w",
        "\\s",
        "\\D",
        "\\W",
        "\\S",
        "[\\d.]",
    ]
)
_QUANTIFIERS = st.sampled_from(["", "", "*", "+", "?", "{2}", "{1,3}", "{0,2}", "{2,}", "{,2}"])


def _quantified(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(inner, _QUANTIFIERS).map(lambda t: t[0] + t[1])


def _quantify(text: str) -> st.SearchStrategy[str]:
    return _quantified(st.just(text))


def _group(parts: list[str]) -> str:
    return "(" + "".join(parts) + ")"


def regexes(max_leaves: int = 8) -> st.SearchStrategy[str]:
    """Patterns of the supported subset, nested: concatenation, alternation, (non-)capturing groups."""

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.lists(children, min_size=1, max_size=3).map(_group).flatmap(_quantify),
            st.lists(children, min_size=2, max_size=3).map(lambda xs: "(?:" + "|".join(xs) + ")"),
            st.lists(children, min_size=1, max_size=3).map("".join),
        )

    leaves = _quantified(_ATOMS)
    return st.recursive(leaves, extend, max_leaves=max_leaves)


def texts(max_size: int = 8) -> st.SearchStrategy[str]:
    return st.text(alphabet=ALPHABET, max_size=max_size)
