"""Phase 08: the phase-07 algorithm lifted to NumPy arrays.

A `Tensor` wraps one `np.ndarray` and, like `minigrad.scalar.Value`, records its parents and a backward
closure. Three things are new compared with scalars, and each has a home in this package:

1. broadcasting — the forward pass may stretch an operand, so its backward must sum the gradient back down
   (`_unbroadcast`, applied by every binary op in `core.py` and by `products.py`);
2. reductions and shape ops (`reductions.py`, `shape.py`, `join.py`), whose backward re-inserts or
   scatters what the forward removed or gathered;
3. matrix products (`products.py`), whose local rule is another matrix product.

Read `core.py` first (the node and the backward pass), then any op file: each op's forward and its local
derivative sit side by side. Design rules (DESIGN.md §3): a tensor keeps the floating dtype it is given
(float32 for models, float64 for gradchecks; integer input becomes float64); Python numbers are cast to the
other operand's dtype so they never promote float32 to float64; ops are functional — nothing mutates a
tensor's data in place; gradients are created lazily (`grad is None` until a backward pass reaches the
tensor) and accumulate across passes on leaves, while the intermediate results of a graph get fresh
gradients on every `backward()`.
"""

from minigrad.tensor.core import Tensor, is_grad_enabled, no_grad, zero_grad
from minigrad.tensor.core import (
    _make as _make,  # for fused ops with their own backward (functional.py)
)
from minigrad.tensor.core import _unbroadcast as _unbroadcast
from minigrad.tensor.join import cat, concatenate, stack
from minigrad.tensor.products import matmul

__all__ = [
    "Tensor",
    "cat",
    "concatenate",
    "is_grad_enabled",
    "matmul",
    "no_grad",
    "stack",
    "zero_grad",
]
