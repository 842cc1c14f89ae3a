"""Phase 06 labs: the (N,) vs (N, 1) broadcasting trap, the cost of a Python loop, strides and views;
break 06 (targets kept as a column, so a per-example loss silently becomes an (N, N) table).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minigrad.bench import blas_kernel, time_call

# --- 06-broadcasting-trap --------------------------------------------------------------------------------


def mse_trap(y_pred: np.ndarray, y_true: np.ndarray) -> float:
    """The bug as written: no shape check, so (N,) - (N, 1) broadcasts to (N, N) and averages N² errors."""
    return float(((y_pred - y_true) ** 2).mean())


def mse_checked(y_pred: np.ndarray, y_true: np.ndarray) -> float:
    """Mean squared error that refuses mismatched shapes instead of broadcasting them."""
    if y_pred.shape != y_true.shape:
        raise ValueError(
            f"y_pred {y_pred.shape} and y_true {y_true.shape} differ; broadcasting them would compare "
            "every prediction with every target"
        )
    return float(((y_pred - y_true) ** 2).mean())


#: (situation, shape a, shape b, predicted result shape or None for an error)
BROADCAST_CATALOG: list[tuple[str, tuple[int, ...], tuple[int, ...], tuple[int, ...] | None]] = [
    ("row bias on a (3, 4) batch", (3, 4), (4,), (3, 4)),
    ("per-row bias without [:, None]", (3, 4), (3,), None),
    ("per-row bias with [:, None]", (3, 4), (3, 1), (3, 4)),
    ("(N,) against (N, 1): the trap", (10,), (10, 1), (10, 10)),
    ("heads x batch attention mask", (2, 1, 16, 16), (1, 4, 16, 16), (2, 4, 16, 16)),
    ("vector against a stack of matrices", (3,), (2, 4, 3), (2, 4, 3)),
]


@lab("06-broadcasting-trap", title="The (N,) vs (N, 1) broadcasting trap: a silently wrong MSE")
def broadcasting_trap(ctx: LabContext) -> Mapping[str, Any]:
    n = 10
    ctx.config["n"] = n
    y_pred = np.arange(n, dtype=np.float32)  # (N,)
    y_true = (np.arange(n, dtype=np.float32) + 0.1).reshape(
        n, 1
    )  # (N, 1): a column, as loaders often give
    err = y_pred - y_true  # (N, N), not (N,)!
    fixes = {
        "squeeze the target": mse_checked(y_pred, y_true.squeeze(1)),
        "reshape the prediction to (N, 1)": mse_checked(y_pred[:, None], y_true),
        "reshape(-1) both": mse_checked(y_pred.reshape(-1), y_true.reshape(-1)),
    }
    try:
        mse_checked(y_pred, y_true)
        guard = "no error (guard failed)"
    except ValueError as exc:
        guard = str(exc)
    catalog = []
    for name, a, b, predicted in BROADCAST_CATALOG:
        try:
            actual: tuple[int, ...] | None = np.broadcast_shapes(a, b)
        except ValueError:
            actual = None
        catalog.append(
            {
                "situation": name,
                "a": list(a),
                "b": list(b),
                "predicted": None if predicted is None else list(predicted),
                "actual": None if actual is None else list(actual),
                "prediction_held": actual == predicted,
            }
        )
    fig, axes = figure(1, 2, width=10.0, height=4.5)
    im = axes[0].imshow(err**2, cmap="magma")
    axes[0].set_title(f"(y_pred - y_true)² has shape {err.shape}")
    axes[0].set_xlabel("y_pred index (from the (N,) vector)")
    axes[0].set_ylabel("y_true index (from the (N, 1) column)")
    axes[0].grid(False)
    fig.colorbar(im, ax=axes[0], label="squared error")
    labels = ["trap (N x N mean)", *fixes]
    vals = [mse_trap(y_pred, y_true), *fixes.values()]
    axes[1].bar(range(len(vals)), vals, color=["C3", "C2", "C2", "C2"])
    axes[1].set_yscale("log")
    axes[1].set_xticks(range(len(vals)), labels, rotation=20, ha="right", fontsize=8)
    axes[1].set_ylabel("reported MSE (log)")
    axes[1].set_title("Same data, two answers: only the diagonal is real")
    save_png(fig, ctx.path("broadcasting_trap.png"))
    return {
        "error_shape": list(err.shape),
        "mse_trap": mse_trap(y_pred, y_true),
        "mse_fixes": fixes,
        "fixes_agree": bool(np.ptp(list(fixes.values())) < 1e-6),
        "shape_guard_message": guard,
        "catalog": catalog,
        "catalog_predictions_held": sum(c["prediction_held"] for c in catalog),
    }


# --- 06-vectorization-budget -----------------------------------------------------------------------------


def python_sum(values: list[float]) -> float:
    """An interpreted loop: one bytecode dispatch, one boxed float per element."""
    total = 0.0
    for v in values:
        total += v
    return total


_VEC = {
    "smoke": {"max_log2": 12, "min_sample_s": 0.002, "samples": 2},
    "default": {"max_log2": 20, "min_sample_s": 0.01, "samples": 3},
    "full": {"max_log2": 24, "min_sample_s": 0.1, "samples": 5},
}


@lab("06-vectorization-budget", title="Python loop vs NumPy: where vectorisation starts to pay")
def vectorization_budget(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, _VEC)
    rows = []
    for k in range(4, cfg["max_log2"] + 1):
        n = 2**k
        arr = ctx.rng.standard_normal(n).astype(np.float32)
        as_list = arr.tolist()
        loop = time_call(
            functools.partial(python_sum, as_list),
            min_sample_s=cfg["min_sample_s"],
            samples=cfg["samples"],
        )
        vec = time_call(arr.sum, min_sample_s=cfg["min_sample_s"], samples=cfg["samples"])
        rows.append(
            {
                "n": n,
                "python_loop_s": loop.best_s,
                "numpy_sum_s": vec.best_s,
                "speedup": loop.best_s / vec.best_s,
                "python_ns_per_element": loop.best_s / n * 1e9,
            }
        )
    crossover = next((r["n"] for r in rows if r["speedup"] > 1.0), None)
    plateau = float(np.median([r["speedup"] for r in rows[-3:]]))
    ns = [r["n"] for r in rows]
    fig, axes = figure(1, 2, width=11.0, height=4.5)
    axes[0].loglog(
        ns,
        [r["python_loop_s"] * 1e6 for r in rows],
        "o-",
        label="Python for-loop over a list",
    )
    axes[0].loglog(ns, [r["numpy_sum_s"] * 1e6 for r in rows], "s-", label="np.ndarray.sum()")
    axes[0].set_xscale("log", base=2)
    axes[0].set_xlabel("N elements (log2)")
    axes[0].set_ylabel("time per sum (µs, log)")
    axes[0].set_title("Absolute time")
    axes[0].legend()
    axes[1].semilogx(ns, [r["speedup"] for r in rows], "o-", base=2, color="C2")
    if crossover:
        axes[1].axvline(crossover, color="grey", linestyle="--", label=f"crossover N = {crossover}")
    axes[1].axhline(
        plateau, color="C3", linestyle="--", label=f"median of the 3 largest N ≈ {plateau:.0f}x"
    )
    axes[1].set_xlabel("N elements (log2)")
    axes[1].set_ylabel("speed-up t_python / t_numpy")
    axes[1].set_title("Speed-up of vectorising a sum")
    axes[1].legend()
    save_png(fig, ctx.path("speedup.png"))
    return {
        "rows": rows,
        "crossover_n": crossover,
        "plateau_speedup": plateau,
        "blas": blas_kernel(),
    }


# --- break 06 --------------------------------------------------------------------------------------------


def add_row_bias(logits: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Add bias[i] to every entry of row i: the bias must be a column, (P, 1), to line up with rows."""
    out: np.ndarray = logits + bias[:, None]  # (P, F) + (P, 1) -> (P, F)
    return out


def add_row_bias_broken(logits: np.ndarray, bias: np.ndarray) -> np.ndarray:
    out: np.ndarray = logits + bias  # (P, F) + (P,) aligns with the columns (or fails if P != F)
    return out


@breaks(
    6,
    title="column-vector broadcasting trap",
    change="targets kept as an (N, 1) column: y_pred - y_true instead of y_pred - y_true[:, 0]",
)
def broadcast_break(ctx: LabContext, n: int = 32) -> BreakOutcome:
    y_pred = ctx.rng.standard_normal(n)  # (N,) model outputs
    y_true = (y_pred + 0.1 * ctx.rng.standard_normal(n))[
        :, None
    ]  # (N, 1), as a column from a loader
    bias = np.array([100.0, 200.0, 300.0])  # one bias per person (I, you, he)
    square = np.arange(1.0, 10.0).reshape(3, 3)  # persons x features, square: the dangerous case
    ctx.config.update({"n": n, "bias": bias.tolist()})

    def describe(per_example: np.ndarray, biased: np.ndarray) -> dict[str, Any]:
        return {
            "per_example_loss_shape": list(per_example.shape),
            "mse": float(per_example.mean()),
            "row_bias_first_row": biased[0].tolist(),
        }

    healthy = describe((y_pred - y_true[:, 0]) ** 2, add_row_bias(square, bias))
    broken = describe((y_pred - y_true) ** 2, add_row_bias_broken(square, bias))
    detected = (
        healthy["per_example_loss_shape"] == [n]
        and broken["per_example_loss_shape"] == [n, n]
        and broken["mse"] > 10 * healthy["mse"]
        and healthy["row_bias_first_row"] != broken["row_bias_first_row"]
    )
    symptom = (
        f"no error is raised: the 'per-example' loss is silently {n}x{n}, its mean {broken['mse']:.3f} "
        f"compares every prediction with every target (true MSE {healthy['mse']:.4f}); the same trap adds "
        "a per-row bias per column on a square batch"
        if detected
        else "the misaligned shapes went unnoticed by the probes"
    )
    return BreakOutcome(healthy=healthy, broken=broken, symptom=symptom, detected=detected)


# --- 06-strides-views ------------------------------------------------------------------------------------

_STRIDES = {
    "smoke": {"sizes": [64, 128, 256], "min_sample_s": 0.002, "samples": 2},
    "default": {"sizes": [64, 128, 256, 512, 1024, 2048], "min_sample_s": 0.01, "samples": 3},
    "full": {"sizes": [64, 128, 256, 512, 1024, 2048, 4096], "min_sample_s": 0.1, "samples": 10},
}


def aliasing_demo() -> dict[str, Any]:
    """A strided slice is a view: writing through it changes the original array."""
    a = np.arange(20, dtype=np.int32)
    b = a[::2]  # a view with stride 8 bytes
    facts = {
        "b_owns_data": bool(b.flags.owndata),
        "b_base_is_a": b.base is a,
        "shares_memory": bool(np.shares_memory(a, b)),
    }
    b[0] = -999
    c = a[::2].copy()  # the safe pattern: an independent buffer
    c[1] = -1
    return {**facts, "a_after_writing_b0": a[:4].tolist(), "a_after_writing_copy": int(a[2])}


@lab("06-strides-views", title="Strides and views: a.T is free, making it contiguous is a copy")
def strides_views(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, _STRIDES)
    rows = []
    for n in cfg["sizes"]:
        a = ctx.rng.standard_normal((n, n), dtype=np.float32)  # (N, N)
        t = a.T  # (N, N) view: strides swapped, no data moved
        c = np.ascontiguousarray(t)  # (N, N) copy laid out row by row
        flags = {
            "T_base_is_a": t.base is a,
            "T_c_contiguous": bool(t.flags.c_contiguous),
            "contiguous_copy_base_is_a": c.base is a,
            "contiguous_copy_c_contiguous": bool(c.flags.c_contiguous),
        }
        ops: dict[str, Callable[[], object]] = {
            "a.T (view)": functools.partial(np.transpose, a),
            "np.ascontiguousarray(a.T)": functools.partial(np.ascontiguousarray, t),
            "a.copy()": a.copy,
        }
        for op, func in ops.items():
            timing = time_call(func, min_sample_s=cfg["min_sample_s"], samples=cfg["samples"])
            rows.append({"n": n, "mib": 4 * n * n / 2**20, "op": op, "seconds": timing.best_s})
    largest = max(cfg["sizes"])
    at = {r["op"]: r["seconds"] for r in rows if r["n"] == largest}
    example = np.arange(12, dtype=np.int32).reshape(3, 4)
    fig, ax = figure(width=8.0, height=4.8)
    for i, op in enumerate(dict.fromkeys(r["op"] for r in rows)):
        pts = [(r["mib"], r["seconds"] * 1e3) for r in rows if r["op"] == op]
        ax.loglog(*zip(*pts, strict=True), "o-", color=f"C{i}", label=op)
    ax.set_xlabel("array size (MiB, float32 N x N)")
    ax.set_ylabel("time per call (ms, log)")
    ax.set_title("A transpose moves no data; a contiguous transpose moves all of it")
    ax.legend()
    save_png(fig, ctx.path("transpose_cost.png"))
    return {
        "rows": rows,
        "contiguous_transpose_over_copy_at_largest": at["np.ascontiguousarray(a.T)"]
        / at["a.copy()"],
        "copy_over_view_at_largest": at["a.copy()"] / at["a.T (view)"],
        "example_3x4_int32": {
            "strides": list(example.strides),
            "T_strides": list(example.T.strides),
            "byte_offset_of_2_1": 2 * example.strides[0] + 1 * example.strides[1],
        },
        "view_flags_at_largest": flags,
        "aliasing": aliasing_demo(),
    }
