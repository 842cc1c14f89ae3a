"""TokenMask: hand-derived masks on a tiny vocabulary, and a naive per-token walk as the oracle."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

from ministruct.dfa import compile_regex
from ministruct.mask import IllegalTokenError, NoLegalContinuation, TokenMask, Vocabulary

sys.path.insert(0, str(Path(__file__).parent))
from ministruct_strategies import regexes  # noqa: E402
from ministruct_vocab import bpe_vocabulary, synthetic_vocabulary  # noqa: E402

TINY = Vocabulary((None, b"a", b"ab", b"b", b"c", b"abc", b"\xc3", b"\xa9", b"\xc3\xa9", None), 0)


def _ids(row: np.ndarray) -> set[int]:
    return set(np.flatnonzero(row).tolist())


def test_hand_derived_masks_on_a_tiny_vocabulary() -> None:
    mask = TokenMask(compile_regex("ab|ac|\u00e9"), TINY)
    start = mask.start
    # "a" (prefix of both), "ab" (complete), the lead byte of é and the whole é; never "b", "c", "abc", EOS
    assert _ids(mask.allowed(start)) == {1, 2, 6, 8}
    after_a = mask.advance(start, 1)
    assert _ids(mask.allowed(after_a)) == {3, 4}  # "b" or "c"
    after_ab = mask.advance(after_a, 3)
    assert _ids(mask.allowed(after_ab)) == {0}  # complete: only the stop token
    half = mask.advance(start, 6)
    assert _ids(mask.allowed(half)) == {7}  # the continuation byte of é and nothing else
    assert mask.advance(after_ab, 0) == after_ab  # stop keeps the state


def test_stop_token_legal_only_in_accepting_states() -> None:
    mask = TokenMask(compile_regex("a+"), TINY)
    assert not mask.allowed(mask.start)[0]
    one = mask.advance(mask.start, 1)
    assert mask.allowed(one)[0] and mask.allowed(one)[1]  # may stop or go on


def test_other_specials_are_never_legal() -> None:
    mask = TokenMask(compile_regex(".*"), TINY)
    assert not mask.allowed_table[:, 9].any()


def test_empty_legal_set_is_an_error_not_a_silent_stop() -> None:
    mask = TokenMask(compile_regex("x"), TINY)  # no token of TINY spells "x"
    with pytest.raises(NoLegalContinuation, match="state"):
        mask.allowed(mask.start)


def test_illegal_token_is_refused() -> None:
    mask = TokenMask(compile_regex("ab"), TINY)
    with pytest.raises(IllegalTokenError):
        mask.advance(mask.start, 3)


def test_session_follows_the_generated_ids() -> None:
    mask = TokenMask(compile_regex("abab"), TINY)
    session = mask.session()
    assert _ids(session(0, ())) == {1, 2}
    assert _ids(session(1, (2,))) == {1, 2}
    assert _ids(session(2, (2, 1))) == {3}
    assert not session.done
    session(3, (2, 1, 3))
    assert session.done
    with pytest.raises(ValueError, match="one sequence"):
        session(0, ())


def _naive_allowed(mask: TokenMask, vocab: Vocabulary, state: int) -> np.ndarray:
    """The seed's per-step mask: walk every token byte by byte from `state`."""
    dfa, live = mask.dfa, mask.live
    out = np.zeros(len(vocab), dtype=bool)
    for t, raw in enumerate(vocab.tokens):
        if raw is None:
            out[t] = t == vocab.stop_id and bool(dfa.accepting[state])
        elif raw:
            out[t] = bool(live[dfa.walk(state, raw)])
    return out


@settings(max_examples=25, deadline=None)
@given(regexes(6))
def test_table_equals_naive_walk_in_every_state(pattern: str) -> None:
    vocab = synthetic_vocabulary()
    mask = TokenMask(compile_regex(pattern), vocab)
    for state in range(mask.n_states):
        np.testing.assert_array_equal(mask.allowed_table[state], _naive_allowed(mask, vocab, state))


def test_bpe_vocabulary_has_the_four_specials_and_endoftext_stops() -> None:
    vocab = bpe_vocabulary()
    assert len(vocab) == 1024
    assert [i for i, t in enumerate(vocab.tokens) if t is None] == [0, 1, 2, 3]
    assert vocab.stop_id == 1
