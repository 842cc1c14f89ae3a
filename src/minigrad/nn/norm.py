"""Phase 10: normalisation layers — rescale activations so depth cannot blow them up or shrink them away.

LayerNorm and RMSNorm are written twice: `composed` builds them from `Tensor` ops (mean, subtraction,
`** -0.5`), so autograd derives their backward passes, and `forward` calls the one-node versions of
`minigrad.fused`, whose hand-written backward is what those graphs add up to (tests hold the two to 1e-6,
and both to PyTorch). BatchNorm stays composed. ε sits inside the square root:
`x / sqrt(var + ε)` stays finite for an all-zero row, `x / (sqrt(var) + ε)` is the classic bug that does not
(its gradient through `sqrt` at 0 is infinite).

- `LayerNorm`: per example, over the last axis: subtract the mean, divide by the standard deviation, then
  `γ · x̂ + β`.
- `RMSNorm`: per example, divide by the root mean square only (no mean, no β): fewer reductions, same
  stabilising effect in practice; the course's default norm.
- `BatchNorm1d`: per feature, over the batch; uses running statistics at evaluation time, which is why it
  needs `train()`/`eval()` and why transformers avoid it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from minigrad.fused import layer_norm, rms_norm
from minigrad.nn.module import Module, Parameter
from minigrad.tensor import Tensor


def _check_dim(name: str, d: int) -> None:
    if isinstance(d, bool) or not isinstance(d, int | np.integer) or d <= 0:
        raise ValueError(f"{name} needs a positive feature size, got {d!r}")


def _check_eps(eps: float) -> None:
    if not eps > 0:
        raise ValueError(f"eps must be > 0 (it keeps an all-zero input finite), got {eps}")


def _check_last_axis(layer: str, x: Tensor, d: int) -> None:
    if x.ndim == 0 or x.shape[-1] != d:
        raise ValueError(f"{layer}({d}) needs inputs whose last axis is {d}, got shape {x.shape}")


class _LastAxisNorm(Module):
    """What LayerNorm and RMSNorm share: checks, γ, the fused/composed switch; subclasses give the maths."""

    def __init__(
        self, d: int, eps: float, *, elementwise_affine: bool, dtype: npt.DTypeLike
    ) -> None:
        super().__init__()
        _check_dim(type(self).__name__, d)
        _check_eps(eps)
        self.d = int(d)
        self.eps = float(eps)
        self.fused = True  # False: `forward` runs `composed` (same numbers, autograd's backward)
        self.weight: Parameter | None = (
            Parameter(np.ones(d), dtype=dtype) if elementwise_affine else None  # (D,) γ
        )

    def forward(self, x: Tensor) -> Tensor:
        _check_last_axis(type(self).__name__, x, self.d)
        return self._one_node(x) if self.fused else self.composed(x)  # (..., D)

    def _one_node(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def composed(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return f"{self.d}, eps={self.eps:g}"


class LayerNorm(_LastAxisNorm):
    """y = γ · (x − mean) / √(var + ε) + β over the last axis (biased variance, as PyTorch)."""

    def __init__(
        self,
        d: int,
        eps: float = 1e-5,
        *,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: npt.DTypeLike = np.float32,
    ) -> None:
        super().__init__(d, eps, elementwise_affine=elementwise_affine, dtype=dtype)
        self.bias: Parameter | None = (
            Parameter(np.zeros(d), dtype=dtype) if elementwise_affine and bias else None  # (D,) β
        )

    def _one_node(self, x: Tensor) -> Tensor:
        return layer_norm(x, self.weight, self.bias, self.eps)  # (..., D), one node

    def composed(self, x: Tensor) -> Tensor:
        """The same function built from `Tensor` ops, whose backward autograd derives (the teaching form)."""
        _check_last_axis("LayerNorm", x, self.d)
        mu = x.mean(axis=-1, keepdims=True)  # (..., 1)
        xc = x - mu  # (..., D)
        var = (xc * xc).mean(axis=-1, keepdims=True)  # (..., 1)
        y = xc * (var + self.eps) ** -0.5  # (..., D) x̂
        if self.weight is not None:
            y = y * self.weight  # (..., D)
        if self.bias is not None:
            y = y + self.bias  # (..., D)
        return y


class RMSNorm(_LastAxisNorm):
    """y = γ · x / √(mean(x²) + ε) over the last axis; γ starts at 1 (γ = 0 would zero the block)."""

    def __init__(
        self,
        d: int,
        eps: float = 1e-5,
        *,
        elementwise_affine: bool = True,
        dtype: npt.DTypeLike = np.float32,
    ) -> None:
        super().__init__(d, eps, elementwise_affine=elementwise_affine, dtype=dtype)

    def _one_node(self, x: Tensor) -> Tensor:
        return rms_norm(x, self.weight, self.eps)  # (..., D), one node

    def composed(self, x: Tensor) -> Tensor:
        """The same function built from `Tensor` ops, whose backward autograd derives (the teaching form)."""
        _check_last_axis("RMSNorm", x, self.d)
        ms = (x * x).mean(axis=-1, keepdims=True)  # (..., 1) mean square
        y = x * (ms + self.eps) ** -0.5  # (..., D)
        if self.weight is not None:
            y = y * self.weight  # (..., D)
        return y


class BatchNorm1d(Module):
    """Normalise each feature over the batch: input (N, C) or (N, C, L), statistics over N (and L).

    Training uses the batch's mean and biased variance and updates running estimates
    (`running = (1 − momentum) · running + momentum · batch`, with the unbiased variance, as PyTorch);
    evaluation uses the running estimates, so a single example is normalised the same way every time.
    """

    running_mean: npt.NDArray[Any]
    running_var: npt.NDArray[Any]
    num_batches_tracked: npt.NDArray[Any]

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        *,
        affine: bool = True,
        dtype: npt.DTypeLike = np.float32,
    ) -> None:
        super().__init__()
        _check_dim("BatchNorm1d", num_features)
        _check_eps(eps)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1], got {momentum}")
        self.num_features = int(num_features)
        self.eps = float(eps)
        self.momentum = float(momentum)
        self.weight: Parameter | None = (
            Parameter(np.ones(num_features), dtype=dtype) if affine else None  # (C,)
        )
        self.bias: Parameter | None = (
            Parameter(np.zeros(num_features), dtype=dtype) if affine else None  # (C,)
        )
        self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))  # (C,)
        self.register_buffer("running_var", np.ones(num_features, dtype=dtype))  # (C,)
        self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d({self.num_features}) needs input (N, {self.num_features}) or "
                f"(N, {self.num_features}, L), got shape {x.shape}"
            )
        axes = (0,) if x.ndim == 2 else (0, 2)
        shape = (1, self.num_features) + ((1,) if x.ndim == 3 else ())  # broadcast (C,) over x
        if self.training:
            count = x.size // self.num_features
            if count < 2:
                raise ValueError(
                    f"BatchNorm1d in training mode needs more than one value per feature, got input "
                    f"shape {x.shape} (use eval() for single examples)"
                )
            mu = x.mean(axis=axes, keepdims=True)  # (1, C[, 1])
            xc = x - mu  # (N, C[, L])
            var = (xc * xc).mean(axis=axes, keepdims=True)  # (1, C[, 1]) biased
            m = self.momentum
            unbiased = var.data.reshape(-1) * count / (count - 1)  # (C,)
            self.running_mean = (1 - m) * self.running_mean + m * mu.data.reshape(-1)
            self.running_var = (1 - m) * self.running_var + m * unbiased
            self.num_batches_tracked = self.num_batches_tracked + 1
            y = xc * (var + self.eps) ** -0.5  # (N, C[, L])
        else:
            mean = self.running_mean.reshape(shape).astype(x.dtype)
            inv = ((self.running_var + self.eps) ** -0.5).reshape(shape).astype(x.dtype)
            y = (x - mean) * inv  # (N, C[, L])
        if self.weight is not None:
            y = y * self.weight.reshape(shape)  # (N, C[, L])
        if self.bias is not None:
            y = y + self.bias.reshape(shape)  # (N, C[, L])
        return y

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps:g}, momentum={self.momentum:g}"


__all__ = ["BatchNorm1d", "LayerNorm", "RMSNorm"]
