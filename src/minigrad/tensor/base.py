"""What every part of `Tensor` may rely on: the array it wraps, and the node builders `core.py` provides.

`Tensor` is assembled from mixins, one file per family of ops (`elementwise.py`, `reductions.py`, `shape.py`,
`products.py`), so each op's forward and its local derivative sit together in a file that reads in one sitting.
The mixins cannot import `core.py` (it imports them to build the class), so this module states the contract
between them: the data attributes, and — for the type checker only — the builders that `Tensor` implements.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from minigrad.tensor.core import Tensor

Array: TypeAlias = npt.NDArray[Any]
Operand: TypeAlias = "Tensor | float | int | npt.NDArray[Any]"
Axis: TypeAlias = int | tuple[int, ...] | None
#: A local derivative: the upstream gradient in, this input's share of it out.
LocalGrad: TypeAlias = Callable[[Array], Array]


def as_float_array(data: Any, dtype: npt.DTypeLike | None) -> Array:
    """`data` as a floating array: floats keep their dtype, integers and booleans become float64."""
    arr = np.asarray(data, dtype=dtype)
    if arr.dtype.kind == "f":
        return arr
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    raise TypeError(
        f"Tensor data must be real numbers; got an array of dtype {arr.dtype} "
        "(pass floats, ints or a float ndarray)"
    )


class TensorBase:
    """The array side of a tensor (shape queries need nothing else) and the graph builders' signatures."""

    __slots__ = ()

    data: Array
    grad: Array | None
    requires_grad: bool

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def ndim(self) -> int:
        return int(self.data.ndim)

    @property
    def size(self) -> int:
        return int(self.data.size)

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.data.dtype

    if TYPE_CHECKING:  # implemented by `core.Tensor`

        @staticmethod
        def _make(data: Array, parents: tuple[Tensor, ...], op: str) -> Tensor: ...

        def _unary(self, data: Array, op: str, dx: LocalGrad) -> Tensor: ...

        def _binary(
            self, other: Tensor, data: Array, op: str, da: LocalGrad, db: LocalGrad
        ) -> Tensor: ...

        def _lift(self, value: Operand) -> Tensor: ...

        def _accumulate(self, grad: Array, op: str) -> None: ...


__all__ = ["Array", "Axis", "LocalGrad", "Operand", "TensorBase", "as_float_array"]
