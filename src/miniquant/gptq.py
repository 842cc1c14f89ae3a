"""GPTQ (Frantar et al. 2022): quantise one column at a time and push each rounding error onto the columns
not yet quantised, weighted by the inverse Hessian of the layer's reconstruction loss.

For a Linear with weight W (out, in) and calibration inputs X (n, in), the loss of a quantised Ŵ is
‖X Wᵀ − X Ŵᵀ‖² = Σ_rows (w − ŵ) H (w − ŵ)ᵀ / 2 with H = 2 XᵀX (in, in): every row shares one H, so rows are
independent and columns within a row are coupled. Optimal Brain Quantisation says: after rounding column i
to q_i, the best correction of the remaining columns is δ = −(w_i − q_i) / [H⁻¹]_ii · [H⁻¹]_i,: (the row of
the inverse Hessian over the remaining columns), and H⁻¹ of the remaining columns is H⁻¹ with column i
eliminated. The paper's three tricks, all here:

1. fixed column order for every row (so the loop is over columns, vectorised across rows);
2. the successive eliminated inverses are exactly the rows of the upper Cholesky factor U of H⁻¹
   (H⁻¹ = UᵀU), so the update for column i is err_i · U[i, i:] with err_i = (w_i − q_i) / U[i, i];
3. lazy batch updates: columns are processed in blocks of 128; inside a block only the block is updated,
   and the rest of W receives the block's accumulated errors in one matrix product at the end of the block
   (the same arithmetic, reordered, so memory traffic drops from O(in²) per column to one GEMM per block).

Dampening adds λ = 1 % of the mean diagonal to H (numerically safe Cholesky); dead inputs (zero diagonal:
never active in calibration) get H_ii = 1 and weight 0. With `act_order` the columns are visited by
decreasing H_ii, so the most sensitive inputs are quantised first while most columns can still absorb
error; group scales are then fixed up front from the original weights ("static groups"), so the stored
layout (codes, scales per group in original column order) is the same as round-to-nearest's. Without
`act_order`, a group's scale is computed when its first column is reached, from the weights as updated so
far, as the reference implementation does. The result is an ordinary `QuantizedTensor`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from miniquant.quantize import QuantizedTensor, QuantSpec, block_view, scales_for

F64 = npt.NDArray[np.float64]


def hessian(inputs: npt.ArrayLike) -> F64:
    """H = 2 XᵀX over calibration inputs X (n, in), the Hessian of ‖X Wᵀ − X Ŵᵀ‖² w.r.t. one row."""
    x = np.asarray(inputs, dtype=np.float64)
    x = x.reshape(-1, x.shape[-1])  # (n, in)
    h: F64 = 2.0 * (x.T @ x)  # (in, in)
    return h


def inverse_hessian_cholesky(
    h: npt.ArrayLike, damp: float = 0.01
) -> tuple[F64, npt.NDArray[np.bool_]]:
    """(U, dead): the upper Cholesky factor of (H + λI)⁻¹ with λ = damp · mean(diag H), and the dead inputs."""
    hh = np.array(h, dtype=np.float64)
    dead = np.diag(hh) == 0
    hh[dead, dead] = 1.0
    hh[np.diag_indices_from(hh)] += damp * float(np.mean(np.diag(hh)))
    lower = np.linalg.cholesky(hh)  # H = L Lᵀ
    eye = np.eye(hh.shape[0])
    l_inv = np.linalg.solve(lower, eye)  # L⁻¹, so H⁻¹ = L⁻ᵀ L⁻¹
    h_inv = l_inv.T @ l_inv
    upper: F64 = np.linalg.cholesky(h_inv).T  # H⁻¹ = Uᵀ U, U upper
    return upper, dead


def _group_scale(
    w: F64, block: F64, errors: F64, upper: F64, start: int, i: int, width: int, spec: QuantSpec
) -> npt.NDArray[np.float16]:
    """The scale of the group starting at column start + i, from its weights as updated so far.

    Columns inside the current block are up to date in `block`; columns past it still owe the block's
    pending (lazy) updates, which are added here so the result does not depend on the block size.
    """
    stop = start + block.shape[1]
    ahead = w[:, start + i : start + i + width].copy()  # (out, width)
    inside = min(width, block.shape[1] - i)
    ahead[:, :inside] = block[:, i : i + inside]
    if inside < width:
        ahead[:, inside:] -= errors[:, :i] @ upper[start : start + i, stop : stop + width - inside]
    scale: npt.NDArray[np.float16] = scales_for(ahead[:, None, :].astype(np.float32), spec)[0][:, 0]
    return scale


def gptq_quantize(
    weight: npt.ArrayLike,
    h: npt.ArrayLike,
    spec: QuantSpec,
    *,
    block_size: int = 128,
    damp: float = 0.01,
    act_order: bool = False,
) -> QuantizedTensor:
    """GPTQ of an (out, in) weight given the (in, in) Hessian of its inputs; see the module docstring.

    `spec` must be symmetric, per channel or per group (the grid GPTQ rounds onto).
    """
    if not spec.symmetric or spec.granularity == "tensor":
        raise ValueError(
            f"GPTQ here supports symmetric per-channel or per-group grids, got {spec.label}"
        )
    if block_size < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size}")
    w = np.array(
        weight, dtype=np.float64
    )  # (out, in), updated in place as errors are pushed forward
    out, inp = w.shape
    width = spec.width((out, inp))
    if np.shape(h) != (inp, inp):
        raise ValueError(
            f"Hessian must be ({inp}, {inp}) for a weight of {w.shape}, got {np.shape(h)}"
        )
    hh = np.asarray(h, dtype=np.float64)
    w[:, np.diag(hh) == 0] = 0.0  # dead inputs: nothing to preserve, quantise to 0
    order = np.argsort(-np.diag(hh), kind="stable") if act_order else np.arange(inp)
    upper, _ = inverse_hessian_cholesky(hh[np.ix_(order, order)], damp)
    scales = np.zeros((out, inp // width), dtype=np.float16)  # (out, G)
    if act_order:  # static groups from the original weights
        scales[:] = scales_for(block_view(w.astype(np.float32), spec), spec)[0]
    w = w[:, order]
    codes = np.zeros((out, inp), dtype=np.int16)
    lo, hi = spec.qmin, spec.qmax
    for start in range(0, inp, block_size):
        stop = min(start + block_size, inp)
        block = w[:, start:stop].copy()  # (out, B)
        errors = np.zeros_like(block)  # (out, B)
        for i in range(stop - start):
            col = int(order[start + i])  # the column's index in the original layout
            group = col // width
            if not act_order and col % width == 0:
                scales[:, group] = _group_scale(w, block, errors, upper, start, i, width, spec)
            s = scales[:, group].astype(np.float64)  # (out,)
            q = np.clip(np.round(block[:, i] / s), lo, hi)  # (out,)
            codes[:, col] = q
            err = (block[:, i] - q * s) / upper[start + i, start + i]  # (out,)
            block[:, i:] -= np.outer(err, upper[start + i, start + i : stop])
            errors[:, i] = err
        w[:, start:stop] = block
        w[:, stop:] -= (
            errors @ upper[start:stop, stop:]
        )  # the lazy update of everything after the block
    return QuantizedTensor(codes=codes, scales=scales, zeros=None, spec=spec)


def reconstruction_error(
    weight: npt.ArrayLike, quantized: npt.ArrayLike, inputs: npt.ArrayLike
) -> float:
    """‖X Wᵀ − X Ŵᵀ‖_F: how far the layer's outputs moved on inputs X (n, in)."""
    x = np.asarray(inputs, dtype=np.float64)
    diff = np.asarray(weight, dtype=np.float64) - np.asarray(
        quantized, dtype=np.float64
    )  # (out, in)
    return float(np.linalg.norm(x @ diff.T))


__all__ = ["gptq_quantize", "hessian", "inverse_hessian_cholesky", "reconstruction_error"]
