"""Pausing Python's cyclic garbage collector around autograd work — a speed trick, kept out of the engines.

An autograd graph is large and, in minigrad, free of reference cycles (a backward closure receives its node
instead of capturing it), so reference counting frees it the moment it is dropped. Building it still
allocates thousands of tracked objects, and every few hundred allocations CPython's cyclic collector wakes
up and rescans the live graph for cycles that are not there. Pausing the collector across a whole step
(forward, backward, update) removes that cost. The teaching engines (`minigrad.scalar.Value`,
`minigrad.tensor.Tensor`) stay plain; the training loop, the speed lab and the graph-size lab use this.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block, restoring its previous state (even on an exception)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


__all__ = ["gc_paused"]
