"""Phase 30: NFA → DFA (subset construction) → minimal DFA (Hopcroft), over bytes.

A decode step must cost a table lookup, so the automaton has to be deterministic: the subset construction makes
each DFA state the set of NFA states the input could have reached. Two tricks keep it small and quick in Python:

- byte classes: bytes that every NFA edge treats alike (all of `a-z` in `[a-z]+`) are one column, so the
  construction and Hopcroft loop over a few dozen classes rather than 256 bytes;
- minimisation: Hopcroft's partition refinement merges states no input can tell apart, so `(a|b)*` and
  `[ab]*` give the same two-state machine and the per-state mask cache (`ministruct.mask`) has one entry per
  distinguishable situation, not one per NFA subset.

The result is complete (every state has a move on every byte); the states that can no longer reach an accepting
state collapse into one dead state, and `live` marks the others, which is all a mask needs.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from ministruct.nfa import NFA, thompson
from ministruct.regex import parse


@dataclass(frozen=True, eq=False)
class DFA:
    """A complete DFA over bytes; `classes[b]` is byte b's column in `table`."""

    classes: np.ndarray  # (256,) int, byte -> class
    table: np.ndarray  # (S, C) int32, state x class -> state
    accepting: np.ndarray  # (S,) bool
    start: int

    @property
    def n_states(self) -> int:
        return int(self.table.shape[0])

    @cached_property
    def byte_table(self) -> np.ndarray:
        """(S, 256) int32, read-only: the next state on each byte."""
        out: np.ndarray = self.table[:, self.classes]
        out.setflags(write=False)
        return out

    @cached_property
    def live(self) -> np.ndarray:
        """(S,) bool, read-only: states from which some input still reaches an accepting state."""
        out = _live(self.table, self.accepting)
        out.setflags(write=False)
        return out

    def walk(self, state: int, data: bytes) -> int:
        for b in data:
            state = int(self.table[state, self.classes[b]])
        return state

    def accepts(self, data: bytes) -> bool:
        return bool(self.accepting[self.walk(self.start, data)])


def _live(table: np.ndarray, accepting: np.ndarray) -> np.ndarray:
    preds: list[set[int]] = [set() for _ in range(table.shape[0])]
    for s, row in enumerate(table.tolist()):
        for t in row:
            preds[t].add(s)
    live = accepting.copy()
    stack = list(np.flatnonzero(accepting).tolist())
    while stack:
        for p in preds[stack.pop()]:
            if not live[p]:
                live[p] = True
                stack.append(p)
    return live


def _byte_classes(nfa: NFA) -> np.ndarray:
    """(256,) class id per byte: bytes with the same membership in every edge label share a class."""
    labels = {values for edges in nfa.edges for values, _ in edges}
    signature = np.zeros((256, max(len(labels), 1)), dtype=bool)  # (256, L)
    for j, values in enumerate(labels):
        signature[list(values), j] = True
    _, classes = np.unique(signature, axis=0, return_inverse=True)
    out: np.ndarray = classes.reshape(256).astype(np.int64)
    return out


def determinise(nfa: NFA) -> DFA:
    """The subset construction: DFA states are the epsilon-closed sets of NFA states the input can reach."""
    classes = _byte_classes(nfa)
    n_classes = int(classes.max()) + 1
    class_of = classes.tolist()
    label_classes: dict[
        frozenset[int], list[int]
    ] = {}  # labels repeat (unrolled repeats): convert once
    for edges in nfa.edges:
        for values, _ in edges:
            if values not in label_classes:
                label_classes[values] = sorted({class_of[b] for b in values})
    moves = [[(label_classes[values], t) for values, t in edges] for edges in nfa.edges]
    start = nfa.closure({nfa.start})
    index = {start: 0}
    order = [start]
    rows: list[list[int]] = []
    closures: dict[frozenset[int], frozenset[int]] = {}
    while len(rows) < len(order):
        current = order[len(rows)]
        buckets: dict[int, set[int]] = {}  # only the classes some NFA state moves on
        for q in current:
            for cls, target in moves[q]:
                for c in cls:
                    buckets.setdefault(c, set()).add(target)
        if len(buckets) < n_classes and frozenset() not in index:  # the dead state, once
            index[frozenset()] = len(order)
            order.append(frozenset())
        row = [index[frozenset()]] * n_classes if len(buckets) < n_classes else [0] * n_classes
        for c, bucket in buckets.items():
            key = frozenset(bucket)
            if key not in closures:
                closures[key] = nfa.closure(bucket)
            nxt = closures[key]
            if nxt not in index:
                index[nxt] = len(order)
                order.append(nxt)
            row[c] = index[nxt]
        rows.append(row)
    table = np.array(rows, dtype=np.int32).reshape(len(order), n_classes)  # (S, C)
    accepting = np.array([nfa.accept in s for s in order], dtype=bool)  # (S,)
    return DFA(classes=classes, table=table, accepting=accepting, start=0)


def _refine(table: np.ndarray, accepting: np.ndarray, live: np.ndarray) -> list[int]:
    """Hopcroft's algorithm on the live states: the coarsest partition stable under every class.

    Dead states (no way to acceptance) all share one block, appended last. They are left out of the refinement,
    which then runs on a partial DFA: a move into a dead state counts as no move. That is sound because every
    live state accepts something, so "moves into live block B on c" already separates a state whose c-move is
    dead from one whose is not, provided both starting blocks are splitters (with the dead block out, the
    usual "all but one initial block" shortcut no longer holds). It also skips the bulk of the work: most
    moves of a schema automaton go to the dead state. Blocks are split only where a splitter's predecessors
    touch them, and of two halves only the smaller goes back on the work list: O(C · S log S).
    """
    n_states = table.shape[0]
    is_live = live.tolist()
    inverse: list[dict[int, list[int]]] = [
        {} for _ in range(n_states)
    ]  # target -> class -> sources
    for s, row in enumerate(table.tolist()):
        if is_live[s]:
            for c, t in enumerate(row):
                if is_live[t]:
                    inverse[t].setdefault(c, []).append(s)
    final = set(np.flatnonzero(accepting & live).tolist())
    rest = set(np.flatnonzero(live).tolist()) - final
    blocks = [b for b in (final, rest) if b]
    block_of = [-1] * n_states
    for i, block in enumerate(blocks):
        for s in block:
            block_of[s] = i
    work = set(range(len(blocks)))
    while work:
        by_class: dict[int, list[int]] = {}  # class -> states that move into the splitter on it
        for t in blocks[work.pop()]:
            for c, sources in inverse[t].items():
                by_class.setdefault(c, []).extend(sources)
        for sources in by_class.values():
            touched: dict[int, list[int]] = {}
            for s in sources:
                touched.setdefault(block_of[s], []).append(s)
            for b, members in touched.items():
                if len(members) == len(blocks[b]):
                    continue
                moved = set(members)
                blocks[b] -= moved
                blocks.append(moved)
                new = len(blocks) - 1
                for s in moved:
                    block_of[s] = new
                if b in work or len(moved) <= len(blocks[b]):
                    work.add(new)
                else:
                    work.add(b)
    dead = len(blocks)
    return [dead if b == -1 else b for b in block_of]


def minimise(dfa: DFA) -> DFA:
    """The minimal complete DFA of the same language, states numbered in breadth-first order from the start."""
    block_of = _refine(dfa.table, dfa.accepting, dfa.live)
    rows_in = dfa.table.tolist()
    number = {block_of[dfa.start]: 0}
    representative = [dfa.start]
    queue = deque([dfa.start])
    rows: list[list[int]] = []
    while queue:
        row = []
        for t in rows_in[queue.popleft()]:
            block = block_of[t]
            if block not in number:
                number[block] = len(representative)
                representative.append(t)
                queue.append(t)
            row.append(number[block])
        rows.append(row)
    table = np.array(rows, dtype=np.int32).reshape(len(rows), dfa.table.shape[1])  # (S', C)
    accepting = dfa.accepting[representative].copy()  # (S',)
    return _compact(DFA(classes=dfa.classes, table=table, accepting=accepting, start=0))


def _compact(dfa: DFA) -> DFA:
    """Merge byte classes that the minimal DFA no longer distinguishes (equal columns)."""
    columns, inverse = np.unique(dfa.table, axis=1, return_inverse=True)
    classes = inverse.reshape(-1)[dfa.classes].astype(np.int64)  # (256,)
    table = np.ascontiguousarray(columns, dtype=np.int32)
    for array in (classes, table, dfa.accepting):
        array.setflags(write=False)
    return DFA(classes=classes, table=table, accepting=dfa.accepting, start=dfa.start)


@lru_cache(maxsize=256)
def compile_regex(pattern: str) -> DFA:
    """The minimal DFA of `pattern` (cached: a schema compiles once per process)."""
    return minimise(determinise(thompson(parse(pattern))))


__all__ = ["DFA", "compile_regex", "determinise", "minimise"]
