"""Phase 30: Thompson's construction, a regex syntax tree → an NFA over bytes with epsilon moves.

Each construct becomes a fragment with one entry and one exit state, glued by epsilon moves; the NFA has
O(pattern size) states and is trivially correct by induction, which is why it is the first step even though
nobody decodes with it: the subset construction (`ministruct.dfa`) turns it into a machine with one state at a
time. Bounded repeats are unrolled (`a{2,4}` = `aa(a(a)?)?`), the classic textbook expansion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ministruct.regex import Alt, Byte, ByteSet, Concat, Node, Repeat


@dataclass
class NFA:
    """States 0..n-1; `edges[q]` are (byte set, target) moves, `eps[q]` the epsilon targets."""

    eps: list[list[int]] = field(default_factory=list)
    edges: list[list[tuple[ByteSet, int]]] = field(default_factory=list)
    start: int = 0
    accept: int = 0

    def new_state(self) -> int:
        self.eps.append([])
        self.edges.append([])
        return len(self.eps) - 1

    @property
    def n_states(self) -> int:
        return len(self.eps)

    def closure(self, states: set[int]) -> frozenset[int]:
        """Every state reachable from `states` by epsilon moves alone (the states themselves included)."""
        seen = set(states)
        stack = list(states)
        while stack:
            for nxt in self.eps[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return frozenset(seen)


def _fragment(nfa: NFA, node: Node) -> tuple[int, int]:
    """Add `node`'s states to `nfa`; its (entry, exit)."""
    if isinstance(node, Byte):
        s, e = nfa.new_state(), nfa.new_state()
        nfa.edges[s].append((node.values, e))
        return s, e
    if isinstance(node, Concat):
        s = e = nfa.new_state()
        for item in node.items:
            fs, fe = _fragment(nfa, item)
            nfa.eps[e].append(fs)
            e = fe
        return s, e
    if isinstance(node, Alt):
        s, e = nfa.new_state(), nfa.new_state()
        for option in node.options:
            fs, fe = _fragment(nfa, option)
            nfa.eps[s].append(fs)
            nfa.eps[fe].append(e)
        return s, e
    return _repeat(nfa, node)


def _repeat(nfa: NFA, node: Repeat) -> tuple[int, int]:
    s = e = nfa.new_state()
    for _ in range(node.low):  # the mandatory copies, in a row
        fs, fe = _fragment(nfa, node.node)
        nfa.eps[e].append(fs)
        e = fe
    if node.high is None:  # then a loop: zero or more further copies
        fs, fe = _fragment(nfa, node.node)
        end = nfa.new_state()
        nfa.eps[e] += [fs, end]
        nfa.eps[fe] += [fs, end]
        return s, end
    end = nfa.new_state()
    for _ in range(node.high - node.low):  # optional copies: each may stop the repeat early
        nfa.eps[e].append(end)
        fs, fe = _fragment(nfa, node.node)
        nfa.eps[e].append(fs)
        e = fe
    nfa.eps[e].append(end)
    return s, end


def thompson(node: Node) -> NFA:
    """The NFA of `node`: one start state, one accepting state."""
    nfa = NFA()
    nfa.start, nfa.accept = _fragment(nfa, node)
    return nfa


__all__ = ["NFA", "thompson"]
