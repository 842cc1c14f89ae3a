"""Topological order of a computation graph, shared by the scalar and the tensor engines.

Backpropagation visits every node after all the nodes that used it, so it needs the graph in an order where
each node comes after its parents (then walks it backwards). An explicit stack instead of recursion: a chain of
10,000 additions is an ordinary graph for an RNN or a long training expression, and recursion would stop at
Python's limit (~1,000 frames).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

Node = TypeVar("Node", bound=Hashable)


def topological_order(root: Node, parents: Callable[[Node], Iterable[Node]]) -> list[Node]:
    """`root` and every node it depends on, each after all of its parents (iterative DFS post-order).

    Nodes hash by identity (neither engine overrides `__eq__`/`__hash__`), so two equal values stay two nodes.
    """
    order: list[Node] = []
    entered: set[Node] = set()
    done: set[Node] = set()
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        if node in entered:  # second visit: every parent is already in `order`
            if node not in done:
                done.add(node)
                order.append(node)
            continue
        entered.add(node)
        stack.append(node)  # come back to it after its parents
        stack.extend(p for p in parents(node) if p not in entered)
    return order


__all__ = ["topological_order"]
