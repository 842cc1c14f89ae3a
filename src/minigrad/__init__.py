"""Phases 01-10: numerics, linear algebra, probability, scalar and tensor autograd, modules,
initialisation and optimisers, all on NumPy so every gradient can be read and checked.

The two engines are re-exported here; everything else is imported from its module
(`minigrad.functional`, `minigrad.gradcheck`, `minigrad.numerics`, …).
"""

from minigrad.scalar import Value
from minigrad.tensor import Tensor, no_grad

__all__ = ["Tensor", "Value", "no_grad"]
