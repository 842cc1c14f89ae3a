"""One-node versions of the layers phases 09-10 compose from `Tensor` ops: linear, layer norm, RMS norm, lookup.

The composed forms (`x @ W.T + b`, `(x - mean) * (var + eps) ** -0.5`, `weight[ids]`) are how the course
derives each backward pass, and they stay available: `LayerNorm.composed`, `RMSNorm.composed`, plain `@` and
indexing. A training step, though, pays for every node: a Python closure, a fresh gradient array per input and
one pass over memory per elementwise op. Here each layer is a single node whose backward is the closed form
those composed graphs add up to, computed with as few full-size temporaries as NumPy allows (in-place `out=`
ops on arrays the node owns). The tests hold every function to its composed twin to 1e-6 in float64,
gradients included, so the derivations remain the reference.

Inputs keep their dtype (float32 for models); Python-float constants never promote it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from minigrad.tensor import Tensor, _make

Array = npt.NDArray[Any]


def _rows(x: Array) -> Array:
    """x (..., D) as (N, D) rows, a view when x is contiguous."""
    return x.reshape(-1, x.shape[-1])


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x (..., in) @ weight (out, in)ᵀ + bias (out,) as one node and one GEMM over the folded rows."""
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input of shape {x.shape} does not fit a weight of shape {weight.shape} "
            f"(its last axis must be {weight.shape[1]})"
        )
    lead = x.shape[:-1]
    x2 = _rows(x.data)  # (N, in)
    w = weight.data  # (out, in)
    y = x2 @ w.T  # (N, out)
    if bias is not None:
        y += bias.data
    parents = (x, weight) if bias is None else (x, weight, bias)
    out = _make(y.reshape(*lead, w.shape[0]), parents, "linear")  # (..., out)
    if out.requires_grad:

        def _backward(out: Tensor) -> None:
            g = out.grad
            if g is None:
                return
            g2 = _rows(g)  # (N, out)
            if x.requires_grad:
                x._accumulate((g2 @ w).reshape(x.data.shape), "linear")  # (..., in)
            if weight.requires_grad:
                weight._accumulate(g2.T @ x2, "linear")  # (out, in)
            if bias is not None and bias.requires_grad:
                bias._accumulate(g2.sum(axis=0), "linear")  # (out,)

        out._backward = _backward
    return out


def _check_norm(name: str, x: Tensor, weight: Tensor | None) -> int:
    if x.ndim == 0:
        raise ValueError(f"{name} needs an input with a feature axis, got a 0-d tensor")
    d = x.shape[-1]
    if weight is not None and weight.shape != (d,):
        raise ValueError(
            f"{name}: weight of shape {weight.shape} does not fit features of size {d}"
        )
    return int(d)


def layer_norm(
    x: Tensor, weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5
) -> Tensor:
    """γ · (x − mean) / √(var + ε) + β over the last axis, one node.

    Backward, with x̂ the normalised input and ĝ = g·γ (per row of D features):
    dx = (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)) / √(var + ε),  dγ = Σ g·x̂,  dβ = Σ g.
    """
    d = _check_norm("layer_norm", x, weight)
    if bias is not None and bias.shape != (d,):
        raise ValueError(
            f"layer_norm: bias of shape {bias.shape} does not fit features of size {d}"
        )
    data = x.data
    xhat = data - data.mean(axis=-1, keepdims=True)  # (..., D) centred, becomes x̂ below
    var = np.einsum("...i,...i->...", xhat, xhat)[..., None] / d  # (..., 1) biased variance
    rstd = 1.0 / np.sqrt(var + eps)  # (..., 1)
    xhat *= rstd  # (..., D)
    y = xhat * weight.data if weight is not None else xhat.copy()  # (..., D)
    if bias is not None:
        y += bias.data
    parents = tuple(t for t in (x, weight, bias) if t is not None)
    out = _make(y, parents, "layer_norm")
    if out.requires_grad:

        def _backward(out: Tensor) -> None:
            g = out.grad
            if g is None:
                return
            _affine_grads(g, xhat, weight, bias, "layer_norm")
            if x.requires_grad:
                gh = g * weight.data if weight is not None else g.copy()  # (..., D) ĝ
                mean_g = gh.mean(axis=-1, keepdims=True)  # (..., 1)
                mean_gx = np.einsum("...i,...i->...", gh, xhat)[..., None] / d  # (..., 1)
                gh -= mean_g
                gh -= xhat * mean_gx
                gh *= rstd
                x._accumulate(gh, "layer_norm")

        out._backward = _backward
    return out


def _affine_grads(
    g: Array, xhat: Array, weight: Tensor | None, bias: Tensor | None, op: str
) -> None:
    """A norm's γ and β gradients, the part LayerNorm and RMSNorm share: dγ = Σ g ⊙ x̂, dβ = Σ g over rows."""
    if weight is not None and weight.requires_grad:
        weight._accumulate(np.einsum("ni,ni->i", _rows(g), _rows(xhat)), op)
    if bias is not None and bias.requires_grad:
        bias._accumulate(_rows(g).sum(axis=0), op)


def rms_norm(x: Tensor, weight: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """γ · x / √(mean(x²) + ε) over the last axis, one node.

    Backward, with x̂ = x / √(mean(x²) + ε) and ĝ = g·γ: dx = (ĝ − x̂ · mean(ĝ · x̂)) / √(mean(x²) + ε).
    """
    d = _check_norm("rms_norm", x, weight)
    data = x.data
    ms = np.einsum("...i,...i->...", data, data)[..., None] / d  # (..., 1) mean square
    rstd = 1.0 / np.sqrt(ms + eps)  # (..., 1)
    xhat = data * rstd  # (..., D)
    y = xhat * weight.data if weight is not None else xhat  # (..., D)
    parents = (x,) if weight is None else (x, weight)
    out = _make(y, parents, "rms_norm")
    if out.requires_grad:

        def _backward(out: Tensor) -> None:
            g = out.grad
            if g is None:
                return
            _affine_grads(g, xhat, weight, None, "rms_norm")
            if x.requires_grad:
                gh = g * weight.data if weight is not None else g.copy()  # (..., D) ĝ
                mean_gx = np.einsum("...i,...i->...", gh, xhat)[..., None] / d  # (..., 1)
                gh -= xhat * mean_gx
                gh *= rstd
                x._accumulate(gh, "rms_norm")

        out._backward = _backward
    return out


def embedding(weight: Tensor, ids: npt.NDArray[np.integer]) -> Tensor:
    """Rows `weight[ids]` (..., D); backward adds each row's gradient into its token's row, one node.

    The scatter sorts the ids once and sums equal ids with `np.add.reduceat`, which for a batch of a few
    thousand positions is several times faster than `np.add.at` (the composed indexing's backward).
    """
    table = weight.data  # (V, D)
    flat = np.asarray(ids).reshape(-1)  # (N,)
    out = _make(table[ids], (weight,), "embedding")  # (..., D)
    if out.requires_grad:

        def _backward(out: Tensor) -> None:
            g = out.grad
            if g is None:
                return
            full = np.zeros_like(table)  # (V, D)
            if flat.size:
                order = np.argsort(flat, kind="stable")  # (N,)
                sorted_ids = flat[order]
                starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])  # (U,)
                full[sorted_ids[starts]] = np.add.reduceat(_rows(g)[order], starts, axis=0)
            weight._accumulate(full, "embedding")

        out._backward = _backward
    return out


__all__ = ["embedding", "layer_norm", "linear", "rms_norm"]
