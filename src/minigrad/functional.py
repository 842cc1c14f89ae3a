"""Fused, numerically stable softmax, log-softmax, log-sum-exp and cross-entropy on `Tensor`s.

Each function is one graph node with a hand-derived backward rather than a chain of `exp`, `sum` and `log`
nodes: the composed version overflows for logits near 1000 (`exp(1000) = inf`) and stores every
intermediate array. Forward passes subtract the row maximum first; backward passes use the closed forms
`s * (g - sum(g * s))` (softmax), `g - softmax * sum(g)` (log-softmax) and `(softmax - one_hot) * w`
(cross-entropy).

Class scores live on the last axis by default: logits `(..., C)` with integer targets `(...)`, so a
language model's `(B, T, V)` logits and `(B, T)` targets go in without reshaping.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from minigrad._broadcast import normalize_axes
from minigrad.tensor import Tensor, _make

Array = npt.NDArray[Any]
Reduction = Literal["mean", "sum", "none"]


def _shifted_and_log_norm(x: Array, axis: int) -> tuple[Array, Array, Array]:
    """(m, z, log(sum(exp(z)))) along `axis`, with m = max(x) and z = x - m kept; finite for finite inputs.

    Log-probabilities are `z - log_norm`, computed from the shifted values: adding the maximum back
    (`logsumexp = max + log_norm`) and subtracting `x - logsumexp` again cancels two large, nearly equal
    numbers, which at logits near 1000 in float32 costs about 3e-5 (torch, like us now, stays under 1e-6).
    """
    top = x.max(axis=axis, keepdims=True)
    z = x - top  # every entry <= 0, so exp never overflows
    log_norm: Array = np.log(np.exp(z).sum(axis=axis, keepdims=True))
    return top, z, log_norm


def _axis(x: Tensor, axis: int) -> int:
    if x.ndim == 0:
        raise ValueError(
            "softmax-type functions need a tensor with at least one axis, got a 0-d one"
        )
    return normalize_axes(axis, x.ndim)[0]


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`, computed on `x - max(x)` so it never overflows."""
    ax = _axis(x, axis)
    s = x.data - x.data.max(axis=ax, keepdims=True)  # shifted, then exp'd and normalised in place
    np.exp(s, out=s)
    s /= s.sum(axis=ax, keepdims=True)  # (..., C, ...) rows sum to 1
    out = _make(s, (x,), "softmax")
    if out.requires_grad:

        def _backward(out: Tensor) -> None:
            g = out.grad
            if g is not None:
                d = g - (g * s).sum(axis=ax, keepdims=True)
                d *= s
                x._accumulate(d, "softmax")

        out._backward = _backward
    return out


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """(x - max) - log(sum(exp(x - max))) along `axis`: log-probabilities, exact where softmax underflows."""
    ax = _axis(x, axis)
    _, z, log_norm = _shifted_and_log_norm(x.data, ax)
    y = z - log_norm  # (..., C, ...) never x - logsumexp(x): see _shifted_and_log_norm
    out = _make(y, (x,), "log_softmax")
    if out.requires_grad:

        def _backward(out: Tensor) -> None:
            g = out.grad
            if g is not None:
                x._accumulate(g - np.exp(y) * g.sum(axis=ax, keepdims=True), "log_softmax")

        out._backward = _backward
    return out


def logsumexp(x: Tensor, axis: int = -1, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) along `axis`; its gradient is the softmax."""
    ax = _axis(x, axis)
    top, z, log_norm = _shifted_and_log_norm(x.data, ax)
    kept = top + log_norm  # (..., 1, ...) a large value, so adding the max back costs nothing here
    out = _make(kept if keepdims else np.squeeze(kept, axis=ax), (x,), "logsumexp")
    if out.requires_grad:

        def _backward(out: Tensor) -> None:
            g = out.grad
            if g is not None:
                gk = g if keepdims else np.expand_dims(g, ax)
                x._accumulate(gk * np.exp(z - log_norm), "logsumexp")  # softmax

        out._backward = _backward
    return out


def _targets_array(targets: Any, logits: Tensor) -> npt.NDArray[np.intp]:
    """Class indices as an integer array shaped like `logits` without its class axis."""
    if isinstance(targets, Tensor):
        if targets.requires_grad:
            raise TypeError("cross_entropy targets are class indices and cannot require grad")
        targets = targets.data
    arr = np.asarray(targets)
    if arr.dtype.kind == "f":
        if not np.all(np.mod(arr, 1) == 0):
            raise TypeError(
                "cross_entropy targets must be integer class indices, got non-integer floats"
            )
    elif arr.dtype.kind not in "iu":
        raise TypeError(
            f"cross_entropy targets must be integer class indices, got dtype {arr.dtype}"
        )
    expected = logits.shape[:-1]
    if arr.shape != expected:
        if arr.shape == logits.shape:
            raise ValueError(
                f"cross_entropy targets have the logits' shape {arr.shape}: they look one-hot; "
                "pass class indices (e.g. one_hot.argmax(-1)) instead"
            )
        raise ValueError(
            f"cross_entropy targets must have shape {expected} (logits {logits.shape} without the "
            f"class axis), got {arr.shape}"
        )
    return arr.astype(np.intp)


def cross_entropy(
    logits: Tensor,
    targets: Any,
    *,
    reduction: Reduction = "mean",
    ignore_index: int | None = None,
) -> Tensor:
    """-log softmax(logits)[target], fused: one node, computed through log-sum-exp, never `log(softmax)`.

    `logits` is `(..., C)` and `targets` integer class indices shaped `(...)` (an int array, a list, or an
    integer-valued Tensor that does not require grad). Positions whose target equals `ignore_index`
    (padding) contribute no loss and no gradient; `"mean"` divides by the number of positions that are
    not ignored (0.0 if all are, instead of PyTorch's nan, so an all-padding batch cannot poison training).
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if logits.ndim == 0:
        raise ValueError("cross_entropy needs logits with a class axis, got a 0-d tensor")
    classes = logits.shape[-1]
    t = _targets_array(targets, logits)
    keep = np.ones(t.shape, dtype=bool) if ignore_index is None else t != ignore_index
    bad = keep & ((t < 0) | (t >= classes))
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"cross_entropy target {int(t[where])} at position {where} is outside the "
            f"{classes} classes (0..{classes - 1})"
        )
    safe = np.where(keep, t, 0)  # ignored positions read class 0, then get masked out

    x = logits.data  # (..., C)
    e = x - x.max(axis=-1, keepdims=True)  # (..., C) shifted logits z <= 0, exp'd in place below
    picked = np.take_along_axis(e, safe[..., None], axis=-1)[..., 0]  # (...) the target's z
    np.exp(e, out=e)  # (..., C) exp(z): the only exp, reused by backward
    total = e.sum(axis=-1)  # (...) sum of exp(z), >= 1
    losses = np.where(keep, np.log(total) - picked, 0.0).astype(x.dtype)  # (...)
    count = int(keep.sum())
    if reduction == "none":
        value = losses
    elif reduction == "sum":
        value = np.asarray(losses.sum(), dtype=x.dtype)
    else:
        value = np.asarray(losses.sum() / count if count else 0.0, dtype=x.dtype)

    out = _make(value, (logits,), "cross_entropy")
    if out.requires_grad:

        def _backward(out: Tensor) -> None:
            g = out.grad
            if g is None:
                return
            if reduction == "none":
                weight = g  # (...)
            elif reduction == "sum":
                weight = np.broadcast_to(g, keep.shape)
            else:
                weight = np.broadcast_to(g / count if count else g * 0.0, keep.shape)
            weight = np.where(keep, weight, 0.0).astype(x.dtype, copy=False)  # (...)
            grad = e * (weight / total)[..., None]  # (..., C) softmax · weight
            rows = grad.reshape(-1, classes)  # (N, C), a view of grad
            rows[np.arange(rows.shape[0]), safe.reshape(-1)] -= weight.reshape(
                -1
            )  # - one_hot · weight
            logits._accumulate(grad, "cross_entropy")

        out._backward = _backward
    return out


__all__ = ["cross_entropy", "log_softmax", "logsumexp", "softmax"]
