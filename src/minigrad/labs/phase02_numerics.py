"""Phase 02 labs: float bits, softmax stability, compensated summation, the int8 round trip; break 02.

All examples are anchored on §A13: 1/600 is the uniform probability over the verb-form vocabulary, the
five logits are one score per tense (infinitive, present, past, past participle, future).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from matplotlib.colors import ListedColormap

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minigrad.floatbits import bf16_round_trip, decode_float32
from minigrad.int8 import int8_round_trip
from minigrad.numerics import (
    exact_sum,
    fp64_sum,
    kahan_sum,
    log_softmax,
    log_softmax_naive,
    naive_sum,
    neumaier_sum,
    pairwise_sum,
    softmax,
    softmax_naive,
)

TENSE_LOGITS = [1.2, 4.7, 3.1, 0.5, 2.9]  # infinitive, present, past, past participle, future

# --- 02-float-decode -------------------------------------------------------------------------------------

DECODE_CASES: list[tuple[str, float]] = [
    ("one", 1.0),
    ("1/600 (uniform over the vocabulary)", 1 / 600),
    ("92.0 (a large logit)", 92.0),
    ("pi", math.pi),
    ("0.1", 0.1),
    ("1e-40 (subnormal)", 1e-40),
    ("negative zero", -0.0),
    ("float32 max", 3.4028234663852886e38),
    ("infinity", math.inf),
    ("NaN", math.nan),
]


def _decode_row(label: str, x: float) -> dict[str, Any]:
    parts = decode_float32(x)
    stored = parts.value()
    with np.errstate(over="ignore"):
        fp16 = float(np.float16(x))  # float32 max overflows to inf in fp16: that is the point
    return {
        "label": label,
        "input": repr(x),
        "hex": parts.hex,
        "bits": parts.binary,
        "sign": parts.sign,
        "exponent": parts.exponent,
        "unbiased_exponent": parts.unbiased_exponent,
        "mantissa": parts.mantissa,
        "kind": parts.kind,
        "stored_value": repr(stored),
        "fp32_abs_error": abs(stored - x) if math.isfinite(x) else 0.0,
        "bf16_value": repr(bf16_round_trip(x)),
        "fp16_value": repr(fp16),
    }


def _bit_grid(ax: Any, rows: list[dict[str, Any]]) -> None:
    colors = {"s": (0.85, 0.3, 0.3), "e": (0.3, 0.55, 0.85), "m": (0.35, 0.7, 0.4)}
    img = np.ones((len(rows), 32, 3))
    for r, row in enumerate(rows):
        bits = row["bits"].replace(" ", "")
        for c, bit in enumerate(bits):
            base = np.array(colors["s" if c == 0 else "e" if c < 9 else "m"])
            img[r, c] = base if bit == "1" else 0.35 + 0.65 * (1 - (1 - base) * 0.25)
    ax.imshow(img, aspect="auto")
    ax.set_yticks(range(len(rows)), [f"{row['label']} = {row['hex']}" for row in rows], fontsize=7)
    ax.set_xticks(
        [0, 4.5, 20, 31], ["sign", "exponent (8 bits)", "mantissa (23 bits)", "bit 0"], fontsize=8
    )
    ax.grid(False)
    ax.set_title("float32 bit fields (dark = 1): sign | 8 exponent bits | 23 mantissa bits")


@lab("02-float-decode", title="Decode float32 bit patterns by hand; bf16 and fp16 round trips")
def float_decode(ctx: LabContext) -> Mapping[str, Any]:
    ctx.config["cases"] = [label for label, _ in DECODE_CASES]
    rows = [_decode_row(label, x) for label, x in DECODE_CASES]
    fig, ax = figure(width=9.0, height=4.8)
    _bit_grid(ax, rows)
    save_png(fig, ctx.path("bit_fields.png"))

    xs = np.logspace(-8, 4, 400)
    fig, ax = figure(width=8.0, height=4.5)
    for name, spacing in (
        ("float32 (eps 2^-23)", np.spacing(xs.astype(np.float32)).astype(np.float64)),
        ("bfloat16 (eps 2^-7)", 2.0 ** (np.floor(np.log2(xs)) - 7)),
        (
            "float16 (eps 2^-10)",
            np.spacing(np.clip(xs, 0, 65504).astype(np.float16)).astype(np.float64),
        ),
    ):
        ax.loglog(xs, spacing / xs, label=name)
    ax.axvline(1 / 600, color="grey", linestyle=":", label="1/600")
    ax.set_xlabel("magnitude of x (log)")
    ax.set_ylabel("gap to the next representable number / x")
    ax.set_title("Relative precision is flat per format, until subnormals (fp16 below ~6e-5)")
    ax.legend(fontsize=8)
    save_png(fig, ctx.path("precision.png"))
    one_600 = decode_float32(1 / 600)
    return {
        "rows": rows,
        "one_over_600": {
            "hex": one_600.hex,
            "sign": one_600.sign,
            "exponent": one_600.exponent,
            "mantissa": one_600.mantissa,
            "stored": one_600.value(),
            "error": one_600.value() - 1 / 600,
        },
        "point1_plus_point2_fp64": 0.1 + 0.2,
        "point1_plus_point2_equals_point3_fp64": 0.1 + 0.2 == 0.3,
        "point1_plus_point2_hex_fp32": decode_float32(float(np.float32(0.1) + np.float32(0.2))).hex,
    }


# --- 02-softmax-stability --------------------------------------------------------------------------------

SOFTMAX_CASES: list[tuple[str, list[float]]] = [
    ("small magnitudes", [0.1, 0.2, 0.3, 0.4, 0.5]),
    ("tense logits", TENSE_LOGITS),
    ("mixed magnitudes", [-3.0, 0.0, 1.0, 2.0, 5.0]),
    ("large positive", [1.0, 92.0, 3.0, 0.0, 2.0]),
    ("large negative", [-100.0, -200.0, -300.0, -400.0, -500.0]),
    ("very large negative", [-1000.0, -999.0, -998.0]),
    ("all identical", [5.0] * 5),
    ("masked entry", [1.0, -math.inf, 3.0, 0.0, 2.0]),
    ("single element", [42.0]),
    ("uniform vocabulary (600 zeros)", [0.0] * 600),
]


def _softmax_row(name: str, values: list[float]) -> dict[str, Any]:
    x = np.asarray(values, dtype=np.float32)
    ref = softmax(np.asarray(values, dtype=np.float64))
    target = min(1, x.size - 1)  # the present simple, when there is one
    out = {"case": name, "n": int(x.size)}
    for label, func, lfunc in (
        ("naive", softmax_naive, log_softmax_naive),
        ("stable", softmax, log_softmax),
    ):
        p = func(x)
        lp = lfunc(x)
        finite_ref = np.isfinite(ref)
        out[label] = {
            "has_nan": bool(np.isnan(p).any()),
            "sum": float(np.sum(p)),
            "max_abs_diff_vs_fp64": None
            if np.isnan(p).any()
            else float(np.max(np.abs(p[finite_ref] - ref[finite_ref]))),
            "cross_entropy_target": float(-lp[target]) + 0.0,  # + 0.0 turns -0.0 into 0.0
        }
    return out


@lab("02-softmax-stability", title="Softmax with and without the -max shift on ten inputs")
def softmax_stability(ctx: LabContext) -> Mapping[str, Any]:
    ctx.config.update({"dtype": "float32", "cases": [name for name, _ in SOFTMAX_CASES]})
    rows = [_softmax_row(name, vals) for name, vals in SOFTMAX_CASES]
    fig, ax = figure(width=8.5, height=4.8)
    names = [r["case"] for r in rows]
    status = np.array(
        [[0.0 if r[v]["has_nan"] else 1.0 for v in ("naive", "stable")] for r in rows]
    )
    ax.imshow(status, cmap=ListedColormap(["#f4a6a6", "#cdebc5"]), vmin=0, vmax=1, aspect="auto")
    for i, r in enumerate(rows):
        for j, v in enumerate(("naive", "stable")):
            cell = r[v]
            text = (
                "NaN"
                if cell["has_nan"]
                else f"sum {cell['sum']:.4f}\nCE {cell['cross_entropy_target']:.3g}"
            )
            ax.text(j, i, text, ha="center", va="center", fontsize=7)
    ax.set_xticks([0, 1], ["naive exp(x)/sum", "stable exp(x - max)/sum"])
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.grid(False)
    ax.set_title("float32 softmax: red = NaN; CE = -log p[1] (present tense)")
    save_png(fig, ctx.path("softmax_stability.png"))
    return {
        "rows": rows,
        "naive_nan_cases": sum(r["naive"]["has_nan"] for r in rows),
        "stable_nan_cases": sum(r["stable"]["has_nan"] for r in rows),
        "overflow_threshold_fp32": math.log(float(np.finfo(np.float32).max)),
    }


# --- 02-kahan --------------------------------------------------------------------------------------------

SUMMERS: dict[str, Callable[[np.ndarray], float]] = {
    "naive loop (fp32)": naive_sum,
    "pairwise (fp32)": pairwise_sum,
    "kahan (fp32)": kahan_sum,
    "neumaier (fp32)": neumaier_sum,
    "fp64 accumulator": fp64_sum,
    "np.sum (fp32)": lambda a: float(np.sum(a)),
}

_KAHAN = {
    "smoke": {"sizes": [100, 1_000, 5_000], "ones_after_big": 2_000},
    "default": {"sizes": [100, 1_000, 10_000, 100_000], "ones_after_big": 10_000},
    "full": {"sizes": [100, 1_000, 10_000, 100_000, 1_000_000], "ones_after_big": 1_000_000},
}


def _errors(arr: np.ndarray) -> dict[str, float]:
    exact = exact_sum(arr)
    return {name: abs(f(arr) - exact) / abs(exact) for name, f in SUMMERS.items()}


@lab("02-kahan", title="Summation drift: naive vs pairwise vs Kahan vs fp64 accumulators")
def kahan_lab(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, _KAHAN)
    uniform = np.full(600, np.float32(1 / 600), dtype=np.float32)
    w1 = {name: f(uniform) for name, f in SUMMERS.items()}
    sweep = []
    for n in cfg["sizes"]:
        x = (
            np.float32(1 / 600) + ctx.rng.standard_normal(n).astype(np.float32) * np.float32(1e-5)
        ).astype(np.float32)
        sweep.append({"n": n, "relative_error": _errors(x)})
    big = np.float32(2**24)
    tail = cfg["ones_after_big"]
    stall = np.concatenate([[big], np.ones(tail, dtype=np.float32)]).astype(np.float32)
    w3 = {name: f(stall) for name, f in SUMMERS.items()}
    fig, ax = figure(width=8.0, height=4.8)
    ns = np.array([s["n"] for s in sweep], dtype=float)
    eps = float(np.finfo(np.float32).eps)
    styles = ["o-", "s--", "^-", "v:", "D-", "x--"]
    for i, name in enumerate(SUMMERS):
        errs = np.array([max(s["relative_error"][name], 1e-12) for s in sweep])
        ax.loglog(
            ns, errs, styles[i], color=f"C{i}", label=name, alpha=0.85, markersize=7 - i * 0.6
        )
    ax.loglog(ns, ns * eps, "k--", linewidth=1, label="N·eps bound (naive)")
    ax.loglog(ns, np.log2(ns) * eps, "k:", linewidth=1, label="log2(N)·eps bound (pairwise)")
    ax.axhline(eps / 2, color="grey", linewidth=1, label="eps/2: rounding the answer to float32")
    ax.set_xlabel("number of float32 addends N (values ≈ 1/600)")
    ax.set_ylabel("relative error vs exact sum (0 drawn at 1e-12)")
    ax.set_title("Error growth of float32 summation")
    ax.legend(fontsize=7)
    save_png(fig, ctx.path("error_growth.png"))
    return {
        "six_hundred_times_one_600": w1,
        "sweep": sweep,
        "stall": {"expected": float(2**24 + tail), "results": w3},
        "naive_over_kahan_error_at_largest_n": sweep[-1]["relative_error"]["naive loop (fp32)"]
        / max(sweep[-1]["relative_error"]["kahan (fp32)"], 1e-18),
    }


# --- 02-int8-roundtrip -----------------------------------------------------------------------------------


@lab(
    "02-int8-roundtrip",
    title="fp32 -> int8 -> fp32: symmetric vs affine on logits, probabilities, activations",
)
def int8_lab(ctx: LabContext) -> Mapping[str, Any]:
    rng = ctx.rng
    raw = np.exp(rng.normal(0.0, 1.5, 600))
    tensors = {
        "tense_logits": rng.uniform(-3, 5, size=(64, 5)).astype(np.float32),
        "verb_probs": (raw / raw.sum()).astype(np.float32),
        "hidden": rng.standard_normal(1024).astype(np.float32),
    }
    ctx.config["distributions"] = {
        "tense_logits": "uniform(-3, 5), (64, 5)",
        "verb_probs": "softmax-like exp(N(0, 1.5)) over 600 forms",
        "hidden": "N(0, 1), 1024 values",
    }
    results: dict[str, Any] = {}
    recon: dict[str, np.ndarray] = {}
    for name, x in tensors.items():
        results[name] = {}
        for scheme in ("symmetric", "affine"):
            back, report = int8_round_trip(x, scheme)
            results[name][scheme] = report.as_dict()
            recon[f"{name}/{scheme}"] = back
    probs = tensors["verb_probs"]
    top = np.argsort(probs)[::-1][:10]
    top_back = np.argsort(recon["verb_probs/symmetric"], kind="stable")[::-1][:10]
    small = probs < np.median(probs)
    zeroed = float(np.mean(recon["verb_probs/symmetric"][small] == 0))
    fig, axes = figure(1, 2, width=10.0, height=4.2)
    err = np.abs(recon["hidden/symmetric"] - tensors["hidden"])
    scale = results["hidden"]["symmetric"]["scale"]
    axes[0].hist(err, bins=40, color="C0")
    axes[0].axvline(scale / 2, color="C3", linestyle="--", label=f"s/2 = {scale / 2:.4f}")
    axes[0].set_xlabel("|x - dequant(quant(x))| for N(0,1) activations")
    axes[0].set_ylabel("count")
    axes[0].set_title("Round-trip error is bounded by half a step")
    axes[0].legend()
    names = list(tensors)
    width = 0.38
    for j, scheme in enumerate(("symmetric", "affine")):
        axes[1].bar(
            np.arange(3) + (j - 0.5) * width,
            [results[n][scheme]["mean_rel_error"] * 100 for n in names],
            width,
            label=scheme,
        )
    axes[1].set_yscale("log")
    axes[1].set_xticks(range(3), names)
    axes[1].set_ylabel("mean relative error (%, log)")
    axes[1].set_title("Small probabilities lose everything")
    axes[1].legend()
    save_png(fig, ctx.path("int8_errors.png"))
    return {
        "reports": results,
        "verb_probs_top10_preserved": int(np.intersect1d(top, top_back).size),
        "verb_probs_top10_same_order": bool(np.array_equal(top, top_back)),
        "verb_probs_below_median_quantised_to_zero": zeroed,
    }


# --- break 02 --------------------------------------------------------------------------------------------

BREAK02_CASES = {
    "small": [1.2, 4.7, 3.1, 0.5, 2.9],
    "medium": [10.0, 50.0, 30.0, 20.0, 40.0],
    "large": [10.0, 92.0, 30.0, 20.0, 40.0],
}


@breaks(2, title="softmax without the -max shift", change="exp(x) instead of exp(x - max(x))")
def softmax_break(ctx: LabContext) -> BreakOutcome:
    ctx.config.update({"dtype": "float32", "cases": BREAK02_CASES})

    def run(func: Callable[[np.ndarray], np.ndarray]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, vals in BREAK02_CASES.items():
            p = func(np.asarray(vals, dtype=np.float32))
            out[name] = {
                "p": [round(float(v), 4) if np.isfinite(v) else str(v) for v in p],
                "sum": str(float(p.sum())),
            }
        return out

    healthy, broken = run(softmax), run(softmax_naive)
    nan_broken = [n for n, r in broken.items() if r["sum"] == "nan"]
    nan_healthy = [n for n, r in healthy.items() if r["sum"] == "nan"]
    detected = nan_broken == ["large"] and not nan_healthy
    symptom = (
        "exp(92) overflows float32 (limit ~exp(88.7)), so the large case becomes inf/inf = NaN; "
        "small and medium logits still look fine, which is why the bug survives until training diverges"
        if detected
        else f"unexpected: NaN in broken {nan_broken}, healthy {nan_healthy}"
    )
    return BreakOutcome(healthy=healthy, broken=broken, symptom=symptom, detected=detected)
