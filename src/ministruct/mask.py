"""Phase 30: token-level logit masks, precomputed per DFA state over the whole BPE vocabulary.

The naive mask re-walks every token through the automaton at every decode step: O(V · token length) Python work
per token, the seed's "5 ms per token". Production engines (Outlines, xgrammar) instead pay once per state:
for every DFA state, walk every token's bytes and record where it lands. Then

- `allowed[s]` (S, V) bool: token t may follow in state s iff its whole byte string walks from s to a live
  state (one that can still reach acceptance), so a half-written UTF-8 character or a prefix of an enum value
  is legal exactly when something can still complete it;
- `next_state[s, t]` (S, V): the state after emitting t, so advancing is a lookup too.

A decode step is one row lookup. The walk is done for all states at once, over the vocabulary's byte trie:
tokens share prefixes (`wr`, `wri`, `writ`, `write`), so each trie node is stepped once per state, one NumPy
fancy-index per trie depth level: the token-trie × DFA product, vectorised.

Special tokens carry no bytes of output. The stop token (`<|endoftext|>`) is legal only in accepting states;
the other specials are never legal. A state whose row is empty (possible only with a vocabulary that lacks
some bytes) raises `NoLegalContinuation` when reached, never a silent stop.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from lynx_cortex.errors import LynxError
from ministruct.dfa import DFA


class NoLegalContinuation(LynxError):  # noqa: N818 (the name the course uses)
    """The mask allows no token in this state: the grammar cannot be completed with this vocabulary."""


class IllegalTokenError(LynxError):
    """A token the mask forbids was fed to it (a sampler that ignored the mask)."""


class HasTokenBytes(Protocol):
    special_tokens: tuple[str, ...]

    @property
    def vocab_size(self) -> int: ...

    def token_bytes(self, token_id: int) -> bytes: ...


@dataclass(frozen=True)
class Vocabulary:
    """What the mask needs of a tokenizer: each id's output bytes (None for a special) and the stop id."""

    tokens: tuple[bytes | None, ...]
    stop_id: int

    def __post_init__(self) -> None:
        if not 0 <= self.stop_id < len(self.tokens) or self.tokens[self.stop_id] is not None:
            raise ValueError(f"stop id {self.stop_id} must be a special (bytes None) token id")

    @classmethod
    def from_tokenizer(cls, tokenizer: HasTokenBytes, stop: str = "<|endoftext|>") -> Vocabulary:
        """The BPE vocabulary: ids 0..k-1 are the specials (`minitoken.bpe`), every other id its bytes."""
        n_special = len(tokenizer.special_tokens)
        tokens = tuple(
            None if i < n_special else tokenizer.token_bytes(i) for i in range(tokenizer.vocab_size)
        )
        return cls(tokens, tokenizer.special_tokens.index(stop))

    def __len__(self) -> int:
        return len(self.tokens)


@functools.lru_cache(maxsize=8)
def _trie(tokens: tuple[bytes | None, ...]) -> tuple[list[np.ndarray], np.ndarray]:
    """The vocabulary's byte trie as depth levels of (node, parent, byte) rows, and each token's node.

    Node 0 is the root (the empty prefix); a token without bytes maps to -1. Cached: it depends on the
    vocabulary only, and a service builds a new mask per request over the same one (the arrays are never
    written).
    """
    children: dict[tuple[int, int], int] = {}
    levels: dict[int, list[tuple[int, int, int]]] = {}
    token_node = np.full(len(tokens), -1, dtype=np.int64)  # (V,)
    for t, raw in enumerate(tokens):
        if not raw:
            continue
        node = 0
        for depth, b in enumerate(raw):
            key = (node, b)
            if key not in children:
                children[key] = len(children) + 1
                levels.setdefault(depth, []).append((children[key], node, b))
            node = children[key]
        token_node[t] = node
    arrays = [np.array(levels[d], dtype=np.int64) for d in sorted(levels)]
    for array in (*arrays, token_node):
        array.setflags(write=False)  # shared by every mask built over this vocabulary
    return arrays, token_node


class TokenMask:
    """The per-state mask table of one DFA over one vocabulary; see the module docstring."""

    def __init__(self, dfa: DFA, vocab: Vocabulary) -> None:
        self.dfa = dfa
        self.vocab = vocab
        self.start = dfa.start
        levels, token_node = _trie(vocab.tokens)
        n_nodes = 1 + sum(len(level) for level in levels)
        byte_table = dfa.byte_table  # (S, 256)
        n_states = dfa.n_states
        at = np.empty((n_states, n_nodes), dtype=np.int32)  # (S, N) state after each trie prefix
        at[:, 0] = np.arange(n_states)
        for level in levels:  # (n_d, 3): node, parent, byte
            at[:, level[:, 0]] = byte_table[at[:, level[:, 1]], level[:, 2][None, :]]
        live = dfa.live  # (S,)
        dead = np.flatnonzero(~live)
        sink = int(dead[0]) if dead.size else -1
        has_bytes = token_node >= 0  # (V,)
        next_state = np.full((n_states, len(vocab)), sink, dtype=np.int32)  # (S, V)
        next_state[:, has_bytes] = at[:, token_node[has_bytes]]
        allowed = np.zeros((n_states, len(vocab)), dtype=bool)  # (S, V)
        allowed[:, has_bytes] = live[next_state[:, has_bytes]]
        allowed[:, vocab.stop_id] = dfa.accepting
        allowed.setflags(write=False)
        self.allowed_table = allowed
        # per state: no legal token at all (checked on every lookup, so computed once here)
        self._empty = [not bool(row.any()) for row in allowed]
        self.next_state = next_state
        self.accepting = dfa.accepting
        self.live = live

    @property
    def n_states(self) -> int:
        return int(self.allowed_table.shape[0])

    def allowed(self, state: int) -> np.ndarray:
        """(V,) bool, read-only: the tokens that may come next in `state`."""
        row: np.ndarray = self.allowed_table[state]
        if self._empty[state]:
            raise NoLegalContinuation(
                f"no token of the vocabulary continues the grammar from DFA state {state}"
            )
        return row

    def advance(self, state: int, token: int) -> int:
        """The state after `token`; the stop token keeps the state (the output is complete)."""
        if not self.allowed_table[state, token]:
            raise IllegalTokenError(f"token {token} is not allowed in DFA state {state}")
        if token == self.vocab.stop_id:
            return state
        return int(self.next_state[state, token])

    def walk(self, tokens: Sequence[int], state: int | None = None) -> int:
        current = self.start if state is None else state
        for token in tokens:
            current = self.advance(current, token)
        return current

    def is_accepting(self, state: int) -> bool:
        return bool(self.accepting[state])

    def mask_fn(self) -> Callable[[int, tuple[int, ...]], np.ndarray]:
        """A pure `MaskFn`: the mask depends only on the ids it is given (beams fork, so beam search needs it).

        States are memoised per prefix, so following one sequence costs one table step per call, as a session.
        """
        states: dict[tuple[int, ...], int] = {(): self.start}

        def mask(step: int, generated: tuple[int, ...]) -> np.ndarray:
            key = tuple(generated)
            state = states.get(key)
            if state is None:
                parent = states.get(key[:-1])
                if parent is None:
                    parent = self.walk(key[:-1])
                state = states[key] = self.advance(parent, key[-1])
            return self.allowed(state)

        return mask

    def session(self) -> MaskSession:
        """A fresh per-generation tracker usable as `miniinfer.generate`'s `mask=`."""
        return MaskSession(self)


class MaskSession:
    """`generate`'s `MaskFn` for one sequence: follows the generated ids, returns the next step's mask.

    It keeps its own state and how many ids it has consumed, so each call advances by the ids it has not seen
    yet (one per step): O(1) per step whatever the length of the output.
    """

    def __init__(self, mask: TokenMask) -> None:
        self.mask = mask
        self.state = mask.start
        self.consumed = 0

    def __call__(self, step: int, generated: tuple[int, ...]) -> np.ndarray:
        if len(generated) < self.consumed:
            raise ValueError("a mask session follows one sequence: start a new one per generation")
        for token in generated[self.consumed :]:
            self.state = self.mask.advance(self.state, token)
        self.consumed = len(generated)
        return self.mask.allowed(self.state)

    @property
    def done(self) -> bool:
        """Whether the output so far is a complete sentence of the language."""
        return self.mask.is_accepting(self.state)


__all__ = [
    "HasTokenBytes",
    "IllegalTokenError",
    "MaskSession",
    "NoLegalContinuation",
    "TokenMask",
    "Vocabulary",
]
