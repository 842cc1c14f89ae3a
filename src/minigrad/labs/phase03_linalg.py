"""Phase 03 labs: predict einsum shapes and FLOPs, race the matmuls against BLAS, check the operator-norm
bound, compress the §A13 count matrix with the SVD; break 03 (contracting over the wrong axis).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from lynx_cortex.domain import domain
from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minigrad.bench import blas_kernel, time_call
from minigrad.linalg import (
    condition_number,
    einsum_shape_and_flops,
    frobenius_norm,
    l2_norm,
    matmul_blocked,
    matmul_einsum,
    matmul_naive,
    matmul_tiled,
    spectral_norm,
)

# --- 03-einsum-shapes ------------------------------------------------------------------------------------

#: MiniGPT-scale dimensions of the §A13 course (batch, time, vocabulary, model, heads, ...).
A13_DIMS = {
    "B": 32,
    "T": 16,
    "V": 600,
    "D": 64,
    "H": 4,
    "Dk": 16,
    "F": 256,
    "K": 5,
    "N5": 5,
    "Verbs": 20,
    "Cells": 15,
}
SMOKE_DIMS = {
    "B": 2,
    "T": 3,
    "V": 11,
    "D": 8,
    "H": 2,
    "Dk": 4,
    "F": 12,
    "K": 5,
    "N5": 5,
    "Verbs": 20,
    "Cells": 15,
}


#: (spec, operand axes, predicted output axes, predicted FLOP factor, meaning). The predictions were made
#: by hand, symbolically; the lab checks them against NumPy with concrete sizes.
EINSUMS: list[tuple[str, list[list[str]], list[str], int, str]] = [
    (
        "v,vd->d",
        [["V"], ["V", "D"]],
        ["D"],
        2,
        "one-hot row times the embedding table = one embedding",
    ),
    (
        "btv,vd->btd",
        [["B", "T", "V"], ["V", "D"]],
        ["B", "T", "D"],
        2,
        "a batch of one-hot tokens embedded",
    ),
    ("bd,kd->bk", [["B", "D"], ["K", "D"]], ["B", "K"], 2, "tense-classifier logits per sentence"),
    (
        "btd,kd->btk",
        [["B", "T", "D"], ["K", "D"]],
        ["B", "T", "K"],
        2,
        "tense logits at every position",
    ),
    ("btd,de->bte", [["B", "T", "D"], ["D", "D"]], ["B", "T", "D"], 2, "query projection W_Q"),
    (
        "bthd->bhtd",
        [["B", "T", "H", "Dk"]],
        ["B", "H", "T", "Dk"],
        1,
        "split heads: move H before T",
    ),
    (
        "bhqd,bhkd->bhqk",
        [["B", "H", "T", "Dk"], ["B", "H", "T", "Dk"]],
        ["B", "H", "T", "T"],
        2,
        "attention scores, one T x T map per head",
    ),
    (
        "bhqk,bhkd->bhqd",
        [["B", "H", "T", "T"], ["B", "H", "T", "Dk"]],
        ["B", "H", "T", "Dk"],
        2,
        "attention-weighted sum of values",
    ),
    (
        "bhtd,hde->bte",
        [["B", "H", "T", "Dk"], ["H", "Dk", "D"]],
        ["B", "T", "D"],
        2,
        "merge heads through W_O",
    ),
    ("btd,df->btf", [["B", "T", "D"], ["D", "F"]], ["B", "T", "F"], 2, "FFN up-projection"),
    ("btf,fd->btd", [["B", "T", "F"], ["F", "D"]], ["B", "T", "D"], 2, "FFN down-projection"),
    (
        "btd,vd->btv",
        [["B", "T", "D"], ["V", "D"]],
        ["B", "T", "V"],
        2,
        "tied LM head: scores for every form",
    ),
    ("btv,btv->", [["B", "T", "V"], ["B", "T", "V"]], [], 2, "total log-likelihood of the batch"),
    ("btv,btv->b", [["B", "T", "V"], ["B", "T", "V"]], ["B"], 2, "log-likelihood per sentence"),
    ("ii->i", [["N5", "N5"]], ["N5"], 1, "diagonal of a 5 x 5 tense-confusion matrix"),
    ("ii->", [["N5", "N5"]], [], 1, "trace: correctly classified tenses"),
    (
        "mn,mn->",
        [["Verbs", "Cells"], ["Verbs", "Cells"]],
        [],
        2,
        "Frobenius inner product of two count matrices",
    ),
    ("v,w->vw", [["V"], ["V"]], ["V", "V"], 1, "outer product over the vocabulary (V x V floats)"),
    (
        "btd,dvf->btvf",
        [["B", "T", "D"], ["D", "V", "F"]],
        ["B", "T", "V", "F"],
        2,
        "a 3-way tensor contraction (why optimize= matters)",
    ),
    (
        "vp,wp->vw",
        [["Verbs", "Cells"], ["Verbs", "Cells"]],
        ["Verbs", "Verbs"],
        2,
        "C Cᵀ: verb-by-verb similarity of conjugation profiles",
    ),
]


def _size(axes: list[str], dims: Mapping[str, int]) -> tuple[int, ...]:
    return tuple(dims[a] for a in axes)


def _distinct_product(operands: list[list[str]], spec: str, dims: Mapping[str, int]) -> int:
    """Product of the sizes of every distinct einsum index (what a FLOP prediction multiplies)."""
    lhs = spec.split("->")[0].split(",")
    sizes: dict[str, int] = {}
    for term, axes in zip(lhs, operands, strict=True):
        for letter, axis in zip(term, axes, strict=True):
            sizes[letter] = dims[axis]
    return math.prod(sizes.values())


@lab("03-einsum-shapes", title="Twenty einsums at §A13 scale: predicted vs actual shapes and FLOPs")
def einsum_shapes(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {"smoke": {"dims": SMOKE_DIMS}, "default": {"dims": A13_DIMS}, "full": {"dims": A13_DIMS}},
    )
    dims: dict[str, int] = cfg["dims"]
    rows = []
    for i, (spec, operands, out_axes, factor, meaning) in enumerate(EINSUMS, start=1):
        shapes = [_size(axes, dims) for axes in operands]
        predicted_shape = _size(out_axes, dims)
        predicted_flops = factor * _distinct_product(operands, spec, dims)
        arrays = [ctx.rng.standard_normal(s).astype(np.float32) for s in shapes]
        actual = np.einsum(spec, *arrays, optimize=True)
        shape_fn, flops_fn = einsum_shape_and_flops(spec, *shapes)
        rows.append(
            {
                "id": i,
                "spec": spec,
                "operands": [list(s) for s in shapes],
                "predicted_shape": list(predicted_shape),
                "actual_shape": list(actual.shape),
                "predicted_flops": predicted_flops,
                "counted_flops": flops_fn,
                "output_mib_fp32": actual.size * 4 / 2**20,
                "meaning": meaning,
                "pass": tuple(actual.shape) == predicted_shape == shape_fn
                and predicted_flops == flops_fn,
            }
        )
    fig, ax = figure(width=9.0, height=5.5)
    labels = [f"{r['id']:>2}. {r['spec']}" for r in rows]
    ax.barh(
        labels,
        [max(r["counted_flops"], 1) for r in rows],
        color=["C2" if r["pass"] else "C3" for r in rows],
    )
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("FLOPs (NumPy naive count, log scale)")
    ax.set_title("Twenty einsums at MiniGPT scale (green = prediction held)")
    ax.tick_params(axis="y", labelsize=7)
    save_png(fig, ctx.path("einsum_flops.png"))
    return {"dims": dims, "rows": rows, "passed": sum(r["pass"] for r in rows), "total": len(rows)}


# --- 03-matmul-performance -------------------------------------------------------------------------------

_MATMUL = {
    "smoke": {
        "python_sizes": [8, 16],
        "compiled_sizes": [16, 32, 64],
        "check_n": 16,
        "block": 8,
        "min_sample_s": 0.002,
        "samples": 2,
    },
    "default": {
        "python_sizes": [32, 64, 128],
        "compiled_sizes": [32, 64, 128, 256, 512],
        "check_n": 64,
        "block": 64,
        "min_sample_s": 0.02,
        "samples": 3,
    },
    "full": {
        "python_sizes": [32, 64, 128, 256],
        "compiled_sizes": [32, 64, 128, 256, 512, 1024, 2048],
        "check_n": 64,
        "block": 64,
        "min_sample_s": 0.2,
        "samples": 5,
    },
}


BLAS_1 = "BLAS (A @ B, 1 thread)"
BLAS_ALL = "BLAS (A @ B, all threads)"


@lab(
    "03-matmul-performance",
    title="Matmul race: naive vs blocked vs tiled vs einsum vs BLAS (GFLOP/s)",
)
def matmul_performance(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, _MATMUL)
    block = cfg["block"]
    methods: dict[str, tuple[Callable[[np.ndarray, np.ndarray], np.ndarray], list[int]]] = {
        "naive (Python loops)": (matmul_naive, cfg["python_sizes"]),
        f"blocked (Python loops, {block}x{block})": (
            lambda a, b: matmul_blocked(a, b, block),
            cfg["python_sizes"],
        ),
        f"tiled (NumPy tiles, {block}x{block})": (
            lambda a, b: matmul_tiled(a, b, block),
            cfg["compiled_sizes"],
        ),
        "einsum ('ik,kj->ij')": (matmul_einsum, cfg["compiled_sizes"]),
        BLAS_1: (np.matmul, cfg["compiled_sizes"]),
        BLAS_ALL: (np.matmul, cfg["compiled_sizes"]),
    }
    ctx.config["blas_threads_in_race"] = 1
    n0 = cfg["check_n"]
    a0 = ctx.rng.standard_normal((n0, n0)).astype(np.float32)
    b0 = ctx.rng.standard_normal((n0, n0)).astype(np.float32)
    ref = a0 @ b0
    agreement = {
        name: bool(np.allclose(f(a0, b0), ref, rtol=1e-5, atol=1e-5 * n0**0.5))
        for name, (f, _) in methods.items()
    }
    table: dict[str, dict[int, float]] = {}
    for name, (func, sizes) in methods.items():
        table[name] = {}
        for n in sizes:
            a = ctx.rng.standard_normal((n, n)).astype(np.float32)
            b = ctx.rng.standard_normal((n, n)).astype(np.float32)
            # Every contender but one runs on one core, like the Python loops it is compared with; the
            # extra BLAS series shows what all cores add (and, on a busy machine, what they can lose).
            limit = None if name == BLAS_ALL else 1
            with threadpool_limits(limits=limit, user_api="blas"):
                t = time_call(
                    functools.partial(func, a, b),
                    min_sample_s=cfg["min_sample_s"],
                    samples=cfg["samples"],
                )
            table[name][n] = 2 * n**3 / t.best_s / 1e9
    blas = table[BLAS_1]
    ratios = {
        name: {n: blas[n] / g for n, g in row.items() if n in blas} for name, row in table.items()
    }
    largest_python = max(cfg["python_sizes"])
    fig, ax = figure(width=8.5, height=5.0)
    for i, (name, row) in enumerate(table.items()):
        ns = sorted(row)
        ax.loglog(ns, [row[n] for n in ns], "o-", color=f"C{i}", label=name)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("matrix size N (N x N float32, log2)")
    ax.set_ylabel("GFLOP/s (2N³ / time, log)")
    ax.set_title(f"Matmul throughput ({blas_kernel()['kernel']})", fontsize=10)
    ax.legend(fontsize=8)
    save_png(fig, ctx.path("matmul_gflops.png"))
    return {
        "gflops": {name: {str(n): g for n, g in row.items()} for name, row in table.items()},
        "blas_over_method": {
            name: {str(n): r for n, r in row.items()} for name, row in ratios.items()
        },
        "blas_over_naive_at_largest_python_n": {
            "n": largest_python,
            "ratio": ratios["naive (Python loops)"][largest_python],
        },
        "agrees_with_A_at_B": agreement,
        "blas": blas_kernel(),
    }


# --- 03-svd-count-matrix ---------------------------------------------------------------------------------


def verbs_by_frequency() -> list[str]:
    """The truth table's verbs in an assumed frequency order: the irregular ones first (English's commonest
    verbs are irregular), then the regular ones, each group alphabetical."""
    table = domain()
    return sorted(table.verbs, key=lambda verb: verb not in table.irregular)  # a stable sort


TENSES = ["infinitive", "present", "past", "past_participle", "future"]
PERSONS = ["I", "you", "he"]
TENSE_P = np.array([0.05, 0.45, 0.20, 0.05, 0.25])
PERSON_P = np.array([0.35, 0.25, 0.40])


def count_matrix(
    rng: np.random.Generator, sentences: int = 10_000, zipf_s: float = 1.2
) -> np.ndarray:
    """The synthetic (20 verbs x 15 cells) count matrix of phase 03.

    Expected count = sentences · f_verb · p_tense · p_person: an outer product, so exactly rank 1. Zipf
    frequencies f ∝ rank^-s are squeezed so the most frequent verb is 10x the rarest; irregular verbs get a
    random per-cell distortion and Poisson noise is added, which is what gives the matrix its tail of
    smaller singular values.
    """
    ranks = np.arange(1, 21, dtype=np.float64)
    stretched = (
        1 + (ranks - 1) * (10 ** (1 / zipf_s) - 1) / 19
    )  # maps rank 20 to a 10x lower frequency
    f = stretched**-zipf_s
    f /= f.sum()  # (20,)
    cells = np.outer(TENSE_P, PERSON_P).ravel()  # (15,) in (tense, person) order
    expected = sentences * np.outer(f, cells)  # (20, 15), rank 1
    irregular = np.array([v in domain().irregular for v in verbs_by_frequency()])
    distortion = np.exp(rng.normal(0.0, 0.4, size=expected.shape))  # (20, 15)
    expected = np.where(irregular[:, None], expected * distortion, expected)
    return rng.poisson(expected).astype(np.float32)  # (20, 15)


@lab(
    "03-svd-count-matrix",
    title="SVD of the §A13 verb x cell count matrix: spectrum, energy, low rank",
)
def svd_count_matrix(ctx: LabContext) -> Mapping[str, Any]:
    ctx.config.update({"sentences": 10_000, "zipf_s": 1.2, "verbs": 20, "cells": 15})
    c = count_matrix(ctx.rng)  # (20, 15)
    u, s, vt = np.linalg.svd(c, full_matrices=False)  # (20, 15), (15,), (15, 15)
    total = float(np.sum(s.astype(np.float64) ** 2))
    c_norm = frobenius_norm(c)
    ks = [1, 2, 3, 5, 8, 10, 12, 15]
    rows = []
    recon: dict[int, np.ndarray] = {}
    for k in ks:
        ck = (u[:, :k] * s[:k]) @ vt[:k, :]  # (20, 15)
        recon[k] = ck
        err = frobenius_norm(c - ck)
        tail = float(np.sqrt(np.sum(s[k:].astype(np.float64) ** 2)))
        rows.append(
            {
                "k": k,
                "frobenius_error": err,
                "relative_error": err / c_norm,
                "eckart_young_tail": tail,
                "eckart_young_holds": bool(abs(err - tail) <= 1e-3 * c_norm),
                "captured_energy": float(np.sum(s[:k].astype(np.float64) ** 2) / total),
                "op_norm_error": float(s[k]) if k < s.size else 0.0,
                "stored_numbers": k * (20 + 1 + 15),
                "saves_storage": k * 36 < 300,
            }
        )
    elbow = next((r["k"] for r in rows if r["relative_error"] < 0.05), 15)
    v0 = vt[0] * np.sign(vt[0][np.argmax(np.abs(vt[0]))])  # sign convention: largest entry positive
    fig, axes = figure(1, 2, width=10.0, height=4.0)
    axes[0].semilogy(range(1, s.size + 1), s, "o-")
    axes[0].set_xlabel("index k")
    axes[0].set_ylabel("singular value σ_k (log)")
    axes[0].set_title("Spectrum: one dominant direction")
    axes[1].plot(ks, [r["relative_error"] * 100 for r in rows], "o-", label="‖C − C_k‖_F / ‖C‖_F")
    axes[1].axhline(5, color="grey", linestyle=":", label="5 %")
    axes[1].axvline(8, color="C3", linestyle="--", label="k = 8: storage break-even")
    axes[1].set_yscale("symlog", linthresh=0.1)
    axes[1].set_xlabel("rank k")
    axes[1].set_ylabel("relative error (%)")
    axes[1].set_title("Rank-k reconstruction error")
    axes[1].legend(fontsize=8)
    save_png(fig, ctx.path("spectrum_energy.png"))
    fig, axes = figure(1, 4, width=12.0, height=4.2)
    vmax = float(c.max())
    for ax, (title, mat) in zip(
        axes,
        [("C (counts)", c), ("C_1", recon[1]), ("C_3", recon[3]), ("C_5", recon[5])],
        strict=True,
    ):
        im = ax.imshow(mat, cmap="viridis", vmin=0, vmax=vmax, aspect="auto")
        err = frobenius_norm(c - mat) / c_norm
        ax.set_title(f"{title}\nrel. error {err:.1%}", fontsize=9)
        ax.set_xticks(range(1, 15, 3), ["inf", "pres", "past", "pp", "fut"], fontsize=7)
        ax.set_yticks(range(20), verbs_by_frequency(), fontsize=6)
        ax.grid(False)
    fig.colorbar(im, ax=axes[-1], label="count")
    save_png(fig, ctx.path("reconstructions.png"))
    return {
        "shape": list(c.shape),
        "verbs": verbs_by_frequency(),
        "cells": [f"{t}/{p}" for t in TENSES for p in PERSONS],
        "singular_values": s.tolist(),
        "rows": rows,
        "rank": int(np.linalg.matrix_rank(c)),
        "effective_rank_1pct": int(np.sum(s > 0.01 * s[0])),
        "elbow_k_below_5pct": elbow,
        "storage_break_even_k": max(k for k in range(1, 16) if k * 36 < 300),
        "first_right_singular_vector": dict(
            zip([f"{t}/{p}" for t in TENSES for p in PERSONS], v0.tolist(), strict=True)
        ),
    }


# --- 03-norm-ratios ---------------------------------------------------------------------------------------


@lab("03-norm-ratios", title="‖Ax‖ ≤ ‖A‖₂‖x‖: random directions vs the top singular vector")
def norm_ratios(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"n": 16, "samples": 200},
            "default": {"n": 64, "samples": 1000},
            "full": {"n": 256, "samples": 10_000},
        },
    )
    n = cfg["n"]
    a = ctx.rng.standard_normal((n, n))  # (N, N)
    sigma = spectral_norm(a, iters=10_000, tol=1e-14, rng=ctx.rng)
    xs = ctx.rng.standard_normal((cfg["samples"], n))  # (S, N) random directions
    ratios = np.array([l2_norm(a @ x) / (sigma * l2_norm(x)) for x in xs])  # (S,)
    _, s, vt = np.linalg.svd(a)
    top = l2_norm(a @ vt[0]) / (sigma * l2_norm(vt[0]))
    predicted_mean = frobenius_norm(a) / (np.sqrt(n) * sigma)  # RMS of ‖Ax‖ over unit x, over σ₁
    fig, ax = figure(width=8.0, height=4.5)
    ax.hist(ratios, bins=30, color="C0", alpha=0.8, label=f"{cfg['samples']} random directions")
    ax.axvline(top, color="C3", linestyle="--", label=f"top right singular vector: {top:.6f}")
    ax.axvline(
        predicted_mean, color="grey", linestyle=":", label=f"‖A‖_F / (√N σ₁) = {predicted_mean:.3f}"
    )
    ax.set_xlabel("‖Ax‖₂ / (‖A‖₂ ‖x‖₂)")
    ax.set_ylabel("count")
    ax.set_title(f"Operator-norm bound on a {n} x {n} Gaussian matrix: every ratio ≤ 1")
    ax.legend(fontsize=8)
    save_png(fig, ctx.path("norm_ratios.png"))
    return {
        "matrix_shape": [n, n],
        "sigma_max_power_iteration": sigma,
        "sigma_max_svd": float(s[0]),
        "condition_number": condition_number(a),
        "ratios": {
            "min": float(ratios.min()),
            "max": float(ratios.max()),
            "mean": float(ratios.mean()),
            "at_top_singular_vector": top,
        },
        "frobenius_over_sqrt_n_sigma": predicted_mean,
        "bound_holds": bool(ratios.max() <= 1 + 1e-9),
    }


# --- break 03 --------------------------------------------------------------------------------------------


def _contract_right(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.einsum("ik,kj->ij", a, b)
    return out


def _contract_wrong(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.einsum("ki,kj->ij", a, b)  # sums over A's rows: computes Aᵀ B
    return out


def _probe(
    func: Callable[[np.ndarray, np.ndarray], np.ndarray], rng: np.random.Generator
) -> dict[str, Any]:
    known = func(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[5.0, 6.0], [7.0, 8.0]]))
    a5, b5 = rng.standard_normal((5, 5)), rng.standard_normal((5, 5))
    square = func(a5, b5)
    a, b = (
        rng.standard_normal((3, 5)),
        rng.standard_normal((5, 4)),
    )  # persons x tenses, tenses x features
    try:
        rect: Any = list(func(a, b).shape)
    except ValueError as exc:
        rect = f"ValueError: {exc}"
    return {
        "known_answer": known.tolist(),
        "square_shape_ok": square.shape == (5, 5),
        "square_max_abs_diff_vs_matmul": float(np.max(np.abs(square - a5 @ b5))),
        "rectangular_3x5_at_5x4": rect,
    }


@breaks(
    3, title="contraction over the wrong axis", change="einsum 'ki,kj->ij' instead of 'ik,kj->ij'"
)
def contraction_break(ctx: LabContext) -> BreakOutcome:
    healthy = _probe(_contract_right, np.random.default_rng(ctx.seed))
    broken = _probe(_contract_wrong, np.random.default_rng(ctx.seed))
    detected = (
        healthy["known_answer"] == [[19.0, 22.0], [43.0, 50.0]]
        and broken["known_answer"] == [[26.0, 30.0], [38.0, 44.0]]
        and broken["square_shape_ok"]
        and broken["square_max_abs_diff_vs_matmul"] > 1e-3
        and isinstance(broken["rectangular_3x5_at_5x4"], str)
    )
    symptom = (
        "on square inputs the wrong contraction keeps the shape (5, 5) and silently computes AᵀB "
        f"(max diff {broken['square_max_abs_diff_vs_matmul']:.2f}); the 2x2 known answer gives "
        "[[26, 30], [38, 44]] instead of [[19, 22], [43, 50]]; only the rectangular case fails loudly"
        if detected
        else "the wrong contraction was not caught by the probes"
    )
    return BreakOutcome(healthy=healthy, broken=broken, symptom=symptom, detected=detected)
