"""The regex subset: Python's `re` is the oracle for the language, a brute-force partition for minimality."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ministruct.dfa import DFA, compile_regex, determinise, minimise
from ministruct.nfa import thompson
from ministruct.regex import RegexError, escape, parse

sys.path.insert(0, str(Path(__file__).parent))
from ministruct_strategies import ALPHABET, regexes, texts  # noqa: E402


def _oracle(pattern: str, text: str) -> bool:
    return re.fullmatch(pattern, text, re.ASCII) is not None


@settings(max_examples=100, deadline=None)
@given(regexes(), st.lists(texts(), min_size=20, max_size=20))
def test_dfa_accepts_exactly_what_re_fullmatch_accepts(pattern: str, samples: list[str]) -> None:
    dfa = compile_regex(pattern)
    for text in samples:
        assert dfa.accepts(text.encode("utf-8")) == _oracle(pattern, text), (pattern, text)


@settings(max_examples=60, deadline=None)
@given(regexes(), st.lists(st.binary(max_size=6), min_size=20, max_size=20))
def test_accepted_bytes_are_utf8_text_re_accepts(pattern: str, samples: list[bytes]) -> None:
    """Over raw bytes (invalid UTF-8 included) the DFA accepts only encodings of texts `re` accepts."""
    dfa = compile_regex(pattern)
    for data in samples:
        if dfa.accepts(data):
            assert _oracle(pattern, data.decode("utf-8"))


def _words(alphabet: str, max_len: int) -> list[str]:
    out = [""]
    frontier = [""]
    for _ in range(max_len):
        frontier = [w + c for w in frontier for c in alphabet]
        out += frontier
    return out


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["ab", "a0", "b "]).flatmap(lambda a: st.tuples(st.just(a), regexes(6))))
def test_short_words_exhaustively(case: tuple[str, str]) -> None:
    alphabet, pattern = case
    dfa = compile_regex(pattern)
    for word in _words(alphabet, 4):
        assert dfa.accepts(word.encode()) == _oracle(pattern, word), (pattern, word)


def _moore_classes(dfa: DFA) -> int:
    """Brute force: mark every pair of states some input separates (table filling), count what is left."""
    n = dfa.n_states
    table = dfa.table
    distinct = dfa.accepting[:, None] != dfa.accepting[None, :]  # (S, S)
    while True:
        moved = distinct[table[:, None, :], table[None, :, :]].any(axis=2)  # (S, S)
        grown = distinct | moved
        if (grown == distinct).all():
            break
        distinct = grown
    classes = 0
    seen = np.zeros(n, dtype=bool)
    for s in range(n):
        if not seen[s]:
            classes += 1
            seen |= ~distinct[s]
    return classes


@settings(max_examples=30, deadline=None)
@given(regexes(5), st.lists(texts(), min_size=10, max_size=10))
def test_minimisation_is_minimal_and_keeps_the_language(pattern: str, samples: list[str]) -> None:
    raw = determinise(thompson(parse(pattern)))
    small = minimise(raw)
    assert small.n_states == _moore_classes(raw)
    assert small.n_states == _moore_classes(small)  # nothing left to merge
    for text in samples:
        assert small.accepts(text.encode()) == raw.accepts(text.encode())


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("(a|b)*", "[ab]*"),
        ("a+", "aa*"),
        ("(ab)*a", "a(ba)*"),
        ("a{2,3}", "aaa?"),
        ("x?y?", "(x|)(y|)"),
    ],
)
def test_equivalent_patterns_give_the_same_minimal_dfa(left: str, right: str) -> None:
    a, b = compile_regex(left), compile_regex(right)
    assert a.n_states == b.n_states
    np.testing.assert_array_equal(a.byte_table, b.byte_table)
    np.testing.assert_array_equal(a.accepting, b.accepting)


def test_textbook_example_has_four_live_states_and_a_dead_one() -> None:
    dfa = compile_regex(
        "(a|b)*abb"
    )  # the dragon book's example: 4 states, plus the dead one when complete
    assert dfa.n_states == 5
    assert int(dfa.live.sum()) == 4
    assert dfa.accepts(b"babb") and not dfa.accepts(b"abba")


def test_dot_is_one_utf8_character_but_not_newline() -> None:
    dfa = compile_regex(".")
    assert dfa.accepts("\u00e9".encode()) and dfa.accepts("\U0001f600".encode())
    assert not dfa.accepts(b"\n") and not dfa.accepts(b"\xc3") and not dfa.accepts(b"\xed\xa0\x80")


def test_escape_round_trips() -> None:
    text = "a.b*c{1}[x]\\ (\u00e9)"
    assert compile_regex(escape(text)).accepts(text.encode())
    assert re.fullmatch(escape(text), text)


@pytest.mark.parametrize(
    ("pattern", "named"),
    [
        ("^a", "anchor '^'"),
        ("a$", "anchor '$'"),
        ("a*?", "lazy"),
        ("(a)\\1", "backreferences"),
        ("\\bfoo", "word boundary"),
        ("(?=a)", "(?:...) groups"),
        ("a**", "multiple repeat"),
        ("*a", "nothing to repeat"),
        ("(a", "missing ')'"),
        ("a)", "unbalanced"),
        ("[\u00e0-\u00ff]", "leaves ASCII"),
        ("a{3,2}", "min repeat"),
        ("a{5000}", "repeat count"),
    ],
)
def test_unsupported_syntax_fails_loudly(pattern: str, named: str) -> None:
    with pytest.raises(RegexError, match=re.escape(named)):
        compile_regex(pattern)


def test_alphabet_covers_multibyte_text() -> None:
    assert any(len(c.encode()) > 1 for c in ALPHABET)
