"""Random members of a DFA's language: walk live transitions, stop in accepting states now and then."""

from __future__ import annotations

import random
from collections import deque
from functools import lru_cache

import numpy as np

from ministruct.dfa import DFA


@lru_cache(maxsize=64)
def completions(dfa: DFA) -> dict[int, bytes]:
    """For every state that can reach acceptance, the shortest bytes that get there (backwards BFS)."""
    table = dfa.byte_table  # (S, 256)
    done = {int(s): b"" for s in np.flatnonzero(dfa.accepting)}
    queue = deque(done)
    while queue:
        t = queue.popleft()
        sources, byte_values = np.nonzero(table == t)
        for s, b in zip(sources.tolist(), byte_values.tolist(), strict=True):
            if s not in done:
                done[s] = bytes([b]) + done[t]
                queue.append(s)
    return done


def sample(dfa: DFA, rng: random.Random, *, stop: float = 0.3, max_len: int = 200) -> bytes:
    """One accepted byte string; past `max_len` it finishes along a shortest completion."""
    live, table = dfa.live, dfa.byte_table
    state, out = dfa.start, bytearray()
    while len(out) < max_len:
        if dfa.accepting[state] and rng.random() < stop:
            return bytes(out)
        choices = np.flatnonzero(live[table[state]])
        if not choices.size:
            break
        b = int(choices[rng.randrange(choices.size)])
        out.append(b)
        state = int(table[state, b])
    return bytes(out) + completions(dfa)[state]
