"""Phase 09: the layers a multilayer perceptron is made of, plus the containers that chain them.

`Linear` stores its weight as (out_features, in_features), PyTorch's layout, so `y = x @ W.T + b` and a
state dict can be compared key for key with a PyTorch model. Layers accept any number of leading axes:
`(B, in)` and `(B, T, in)` both work, which the transformer of phase 17 relies on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from minigrad import init
from minigrad.functional import cross_entropy, softmax
from minigrad.fused import embedding, linear
from minigrad.nn.module import Module, Parameter
from minigrad.tensor import Tensor


def _rng(rng: np.random.Generator | None) -> np.random.Generator:
    """The generator to draw from: the caller's, or a fresh OS-seeded one (never NumPy's global state)."""
    return np.random.default_rng() if rng is None else rng


def _positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


class Linear(Module):
    """y = x W^T + b with W of shape (out, in); W ~ U(±1/√in) (PyTorch's default scale), b = 0."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        rng: np.random.Generator | None = None,
        dtype: npt.DTypeLike = np.float32,
    ) -> None:
        super().__init__()
        _positive("in_features", in_features)
        _positive("out_features", out_features)
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        bound = 1.0 / math.sqrt(in_features)
        self.weight = Parameter(np.zeros((out_features, in_features)), dtype=dtype)  # (out, in)
        init.uniform_(self.weight, _rng(rng), -bound, bound)
        self.bias: Parameter | None = (
            Parameter(np.zeros(out_features), dtype=dtype) if bias else None  # (out,)
        )

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}) got input of shape {x.shape}; "
                f"its last axis must be {self.in_features}"
            )
        return linear(x, self.weight, self.bias)  # (..., out) = x @ W.T + b, one graph node

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Embedding(Module):
    """A lookup table: row i of the (num_embeddings, dim) weight is the vector of token i; W ~ N(0, 1)."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        *,
        rng: np.random.Generator | None = None,
        dtype: npt.DTypeLike = np.float32,
    ) -> None:
        super().__init__()
        _positive("num_embeddings", num_embeddings)
        _positive("embedding_dim", embedding_dim)
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        self.weight = Parameter(np.zeros((num_embeddings, embedding_dim)), dtype=dtype)  # (V, D)
        init.normal_(self.weight, _rng(rng))

    def forward(self, indices: npt.ArrayLike | Tensor) -> Tensor:
        idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
        if idx.dtype.kind == "f" and np.all(np.mod(idx, 1) == 0):
            idx = idx.astype(np.intp)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"Embedding needs integer indices, got dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_embeddings):
            bad = int(idx[(idx < 0) | (idx >= self.num_embeddings)].flat[0])
            raise IndexError(
                f"Embedding index {bad} is outside 0..{self.num_embeddings - 1} "
                f"(num_embeddings={self.num_embeddings})"
            )
        return embedding(self.weight, idx)  # (..., D) = weight[idx]; backward scatter-adds rows

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


class Identity(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x


class ReLU(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class Sigmoid(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class GELU(Module):
    """GELU, tanh approximation (PyTorch's `approximate="tanh"`), the activation of the course's MLPs."""

    def forward(self, x: Tensor) -> Tensor:
        return x.gelu()


class Softmax(Module):
    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return softmax(x, axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Dropout(Module):
    """In training, zero each entry with probability p and scale the survivors by 1/(1-p); identity in eval.

    The scaling keeps the expected activation equal in both modes, so nothing changes at `eval()` time.
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout probability must be in [0, 1), got {p}")
        self.p = float(p)
        self.rng = _rng(rng)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = self.rng.random(x.shape) >= self.p  # (...) boolean mask
        return x * (keep / (1.0 - self.p)).astype(x.dtype)  # (...)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Sequential(Module):
    """Modules applied one after the other, registered as "0", "1", ... (so keys read "0.weight")."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential item {i} is a {type(module).__name__}, not a Module "
                    "(wrap functions in a Module subclass)"
                )
            setattr(self, str(i), module)

    def forward(self, x: Tensor) -> Tensor:
        for module in self._modules.values():
            x = module(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    @overload
    def __getitem__(self, index: int) -> Module: ...

    @overload
    def __getitem__(self, index: slice) -> Sequential: ...

    def __getitem__(self, index: int | slice) -> Module | Sequential:
        items = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*items[index])
        try:
            return items[index]
        except IndexError:
            raise IndexError(
                f"Sequential index {index} out of range for {len(items)} modules"
            ) from None


class ModuleList(Module):
    """A list of modules whose parameters are registered (a plain Python list would hide them)."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList holds Modules, got {type(module).__name__}")
        setattr(self, str(len(self._modules)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ModuleList is a container: iterate over it in your forward()")


class Residual(Module):
    """y = x + f(x): the block learns a correction to the identity, and the gradient gets a highway.

    `∂y/∂x = I + ∂f/∂x`, so even when the block's Jacobian is tiny the identity term carries the gradient
    down unchanged. `f` may be a Module (registered, so its parameters train) or any tensor function.
    """

    def __init__(self, block: Module | Callable[[Tensor], Tensor]) -> None:
        super().__init__()
        if not callable(block):
            raise TypeError(f"Residual needs a Module or a callable, got {type(block).__name__}")
        self.block = block

    def forward(self, x: Tensor) -> Tensor:
        h = self.block(x)  # (..., D)
        if h.shape != x.shape:
            raise ValueError(
                f"Residual block changed the shape from {x.shape} to {h.shape}; x + f(x) needs equal shapes"
            )
        return x + h  # (..., D)


class CrossEntropyLoss(Module):
    """The module form of `minigrad.functional.cross_entropy` (logits (..., C), integer targets (...))."""

    def __init__(self, ignore_index: int | None = None) -> None:
        super().__init__()
        self.ignore_index = ignore_index

    def forward(self, logits: Tensor, targets: Any) -> Tensor:
        return cross_entropy(logits, targets, ignore_index=self.ignore_index)


class MSELoss(Module):
    def forward(self, prediction: Tensor, target: Tensor | npt.ArrayLike) -> Tensor:
        t = (
            target
            if isinstance(target, Tensor)
            else Tensor(np.asarray(target, dtype=prediction.dtype))
        )
        if t.shape != prediction.shape:
            raise ValueError(
                f"MSELoss needs prediction and target of the same shape, got {prediction.shape} "
                f"and {t.shape} (a (N,) vs (N, 1) mismatch would broadcast silently)"
            )
        diff = prediction - t  # (...)
        return (diff * diff).mean()


__all__ = [
    "GELU",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Identity",
    "Linear",
    "MSELoss",
    "ModuleList",
    "ReLU",
    "Residual",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
]
