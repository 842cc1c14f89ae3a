"""Norms, conditioning and matrix multiplication written out, so phase 03's claims can be checked in code.

The norms follow their formulas directly (no `np.linalg.norm`): L1 = sum|x|, L2 = sqrt(sum x^2) computed in
the scaled form max|x| * sqrt(sum (x / max|x|)^2) so 1e30 entries do not overflow, L∞ = max|x|,
Frobenius = L2 of the flattened matrix, spectral = the largest singular value, found by power iteration on
AᵀA. The matmuls (naive triple loop, blocked loops, NumPy tiles, einsum) exist to be raced against BLAS in
`03-matmul-performance`; they are correct, not fast.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.floating]


def _vector(x: ArrayLike, name: str = "x") -> FloatArray:
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D vector, got shape {arr.shape}")
    return arr.astype(np.float64) if arr.dtype.kind in "iu" else arr


def _matrix(a: ArrayLike, name: str = "A") -> FloatArray:
    arr = np.asarray(a)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix, got shape {arr.shape}")
    return arr.astype(np.float64) if arr.dtype.kind in "iu" else arr


def _scaled_l2(flat: FloatArray) -> float:
    """sqrt(sum x^2) without overflow or underflow: factor out the largest magnitude first."""
    if flat.size == 0:
        return 0.0
    big = float(np.max(np.abs(flat)))
    if big == 0.0 or not np.isfinite(big):
        return big
    scaled = flat.astype(np.float64) / big
    return big * float(np.sqrt(np.sum(scaled * scaled)))


def l1_norm(x: ArrayLike) -> float:
    """sum_i |x_i| (the Manhattan length)."""
    return float(np.sum(np.abs(_vector(x)), dtype=np.float64))


def l2_norm(x: ArrayLike) -> float:
    """sqrt(sum_i x_i^2), in the overflow-safe scaled form."""
    return _scaled_l2(_vector(x))


def linf_norm(x: ArrayLike) -> float:
    """max_i |x_i| (0 for an empty vector)."""
    v = _vector(x)
    return float(np.max(np.abs(v))) if v.size else 0.0


def frobenius_norm(a: ArrayLike) -> float:
    """sqrt(sum_ij a_ij^2), which also equals sqrt(sum of squared singular values)."""
    return _scaled_l2(_matrix(a).ravel())


def op_norm(a: ArrayLike) -> float:
    """The operator 2-norm sigma_max, read off an SVD: the oracle `spectral_norm` is checked against."""
    m = _matrix(a)
    if m.size == 0:
        return 0.0
    return float(np.linalg.svd(m, compute_uv=False)[0])


def spectral_norm(
    a: ArrayLike,
    *,
    iters: int = 500,
    tol: float = 1e-12,
    rng: np.random.Generator | None = None,
) -> float:
    """sigma_max by power iteration on AᵀA: repeatedly apply A then Aᵀ, the top direction takes over.

    Converges at the rate (sigma_2 / sigma_1)^2 per step; stops when the estimate changes by less than `tol`
    relative. A random start (from `rng`, default seeded 0) avoids being orthogonal to the top vector.
    """
    m = _matrix(a).astype(np.float64)  # (M, N)
    if m.size == 0:
        return 0.0
    if iters < 1:
        raise ValueError(f"iters must be >= 1, got {iters}")
    gen = rng if rng is not None else np.random.default_rng(0)
    v: NDArray[np.float64] = gen.standard_normal((m.shape[1],))  # (N,)
    v = v / float(np.linalg.norm(v))
    sigma = 0.0
    for _ in range(iters):
        u = m @ v  # (M,)
        w = m.T @ u  # (N,)
        norm_w = float(np.linalg.norm(w))
        if norm_w == 0.0:
            return 0.0  # v landed in the null space: A is zero (a random start makes other cases measure-zero)
        v = w / norm_w
        new_sigma = float(np.linalg.norm(m @ v))
        if abs(new_sigma - sigma) <= tol * max(new_sigma, 1e-300):
            return new_sigma
        sigma = new_sigma
    return sigma


def condition_number(a: ArrayLike) -> float:
    """kappa_2 = sigma_max / sigma_min: how much a relative error in b can grow in the solution of Ax = b.

    Infinite for a (numerically) rank-deficient matrix. Rectangular matrices use their min(M, N)
    singular values.
    """
    m = _matrix(a)
    if m.size == 0:
        raise ValueError("the condition number of an empty matrix is undefined")
    s = np.linalg.svd(m, compute_uv=False)
    # Numerically rank-deficient (the same cut-off as np.linalg.matrix_rank): sigma_min is rounding noise.
    if s[-1] <= s[0] * max(m.shape) * np.finfo(s.dtype).eps:
        return float("inf")
    return float(s[0] / s[-1])


# --- matrix multiplication, three ways -------------------------------------------------------------------


def _check_matmul(a: ArrayLike, b: ArrayLike) -> tuple[FloatArray, FloatArray]:
    left, right = _matrix(a, "A"), _matrix(b, "B")
    if left.shape[1] != right.shape[0]:
        raise ValueError(
            f"cannot multiply A {left.shape} by B {right.shape}: A has {left.shape[1]} columns "
            f"but B has {right.shape[0]} rows"
        )
    return left, right


def matmul_naive(a: ArrayLike, b: ArrayLike) -> FloatArray:
    """C[i, j] = sum_k A[i, k] * B[k, j] as three Python loops: one interpreted multiply-add per FLOP pair."""
    left, right = _check_matmul(a, b)
    m, k_dim = left.shape
    n = right.shape[1]
    dtype = np.result_type(left, right)
    rows, cols = left.tolist(), right.tolist()
    out = [[0.0] * n for _ in range(m)]
    for i in range(m):
        row, acc = rows[i], out[i]
        for k in range(k_dim):
            a_ik = row[k]
            b_row = cols[k]
            for j in range(n):
                acc[j] += a_ik * b_row[j]
    return np.asarray(out, dtype=dtype)  # (M, N)


def matmul_blocked(a: ArrayLike, b: ArrayLike, block: int = 64) -> FloatArray:
    """The same sum in block x block tiles (six Python loops): the loop order BLAS uses to reuse cache.

    In compiled code tiling turns a bandwidth-bound loop into a compute-bound one; in Python the interpreter
    costs ~50 ns per multiply-add either way, so this runs about as slowly as `matmul_naive`. That
    non-result is the lesson: cache effects only show once the interpreter is out of the way.
    """
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}")
    left, right = _check_matmul(a, b)
    m, k_dim = left.shape
    n = right.shape[1]
    rows, cols = left.tolist(), right.tolist()
    out = [[0.0] * n for _ in range(m)]
    for i0 in range(0, m, block):
        for k0 in range(0, k_dim, block):
            for j0 in range(0, n, block):
                j1 = min(j0 + block, n)
                for i in range(i0, min(i0 + block, m)):
                    row, acc = rows[i], out[i]
                    for k in range(k0, min(k0 + block, k_dim)):
                        a_ik, b_row = row[k], cols[k]
                        for j in range(j0, j1):
                            acc[j] += a_ik * b_row[j]
    return np.asarray(out, dtype=np.result_type(left, right))  # (M, N)


def matmul_tiled(a: ArrayLike, b: ArrayLike, block: int = 64) -> FloatArray:
    """Tiles multiplied by NumPy: the tiling loop of `matmul_blocked` with a compiled inner kernel.

    Against one big `A @ B` this measures what the tile bookkeeping costs (many small BLAS calls), and how
    the cost falls as the tile grows.
    """
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}")
    left, right = _check_matmul(a, b)
    m, k_dim = left.shape
    n = right.shape[1]
    out = np.zeros((m, n), dtype=np.result_type(left, right))  # (M, N)
    for i0 in range(0, m, block):
        for j0 in range(0, n, block):
            tile = out[i0 : i0 + block, j0 : j0 + block]  # (bm, bn), a view into out
            for k0 in range(0, k_dim, block):
                tile += (
                    left[i0 : i0 + block, k0 : k0 + block] @ right[k0 : k0 + block, j0 : j0 + block]
                )
    return out


def matmul_einsum(a: ArrayLike, b: ArrayLike) -> FloatArray:
    """'ik,kj->ij': the repeated index k is summed, the free indices i, j name the output axes."""
    left, right = _check_matmul(a, b)
    return np.einsum("ik,kj->ij", left, right)  # type: ignore[no-any-return]


def einsum_shape_and_flops(spec: str, *shapes: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """Output shape and naive FLOP count of an explicit einsum (`'ij,jk->ik'`), without running it.

    FLOPs follow NumPy's naive count (`np.einsum_path`): the product of every index size, times
    max(1, operands − 1) for the multiplications, plus one more when an index is shared between operands
    (each product is then also accumulated).
    Ellipses are not supported: name every axis, which is the habit this function is meant to teach.
    """
    if "->" not in spec or "." in spec:
        raise ValueError(f"spec must be explicit with named axes, like 'ij,jk->ik', got {spec!r}")
    lhs, out = spec.replace(" ", "").split("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"spec {spec!r} names {len(terms)} operands but {len(shapes)} shapes were given"
        )
    sizes: dict[str, int] = {}
    for term, shape in zip(terms, shapes, strict=True):
        if len(term) != len(shape):
            raise ValueError(
                f"operand {term!r} has {len(term)} indices but shape {shape} has {len(shape)} axes"
            )
        for index, size in zip(term, shape, strict=True):
            if sizes.setdefault(index, size) != size:
                raise ValueError(
                    f"index {index!r} is {sizes[index]} in one operand and {size} in another"
                )
    missing = [i for i in out if i not in sizes]
    if missing:
        raise ValueError(f"output index {missing[0]!r} does not appear in any operand of {spec!r}")
    total = 1
    for size in sizes.values():
        total *= size
    shared = sum(len(set(term)) for term in terms) > len(
        sizes
    )  # an index in two operands: multiply-add
    factor = max(1, len(terms) - 1) + (1 if shared else 0)
    return tuple(sizes[i] for i in out), total * factor


def matmul_flops(m: int, k: int, n: int) -> int:
    """2*M*K*N: one multiply and one add per (i, k, j) triple."""
    return 2 * m * k * n


__all__ = [
    "condition_number",
    "einsum_shape_and_flops",
    "frobenius_norm",
    "l1_norm",
    "l2_norm",
    "linf_norm",
    "matmul_blocked",
    "matmul_einsum",
    "matmul_flops",
    "matmul_naive",
    "matmul_tiled",
    "op_norm",
    "spectral_norm",
]
