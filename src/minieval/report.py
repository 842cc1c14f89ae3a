"""Phase 20: results.json, per-slice CSV/PNG, the reliability diagram and the 8-section REPORT.md.

`results_json` is the canonical serialisation (sorted keys, floats rounded to 6 decimals, strict JSON), so two
evaluations of the same model on the same probes are byte-identical and `diff` is a valid comparison. REPORT.md
leaves section 7 (interpretation) to a human, behind a marker the phase's definition of done looks for.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lynx_cortex.atomic import write_text_atomic
from lynx_cortex.plotting import figure, save_png
from minieval.harness import SLICES

INTERPRETATION_MARKER = (
    "<!-- HUMAN: write the interpretation here (3 weakest slices, suspected causes) -->"
)
SECTIONS = (
    "## 1. Headline",
    "## 2. Per-slice accuracy",
    "## 3. Reliability diagram",
    "## 4. Adversarial slice",
    "## 5. Confusion matrix",
    "## 6. Generation sub-eval (pass@k)",
    "## 7. Interpretation",
    "## 8. Caveats",
)
CSV_COLUMNS = ("slice_name", "slice_value", "n", "correct", "accuracy", "wilson_lo", "wilson_hi")


def _canonical(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return round(value, 6) + 0.0  # + 0.0 turns -0.0 into 0.0
    return value


def results_json(results: Mapping[str, Any]) -> str:
    """Canonical strict JSON: NaN/inf become null, floats 6 decimals, keys sorted, trailing newline."""
    return (
        json.dumps(
            _canonical(results), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False
        )
        + "\n"
    )


def _pct(x: float | None) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f} %"


def _ci(w: Sequence[float]) -> str:
    return f"[{100 * w[0]:.1f}, {100 * w[1]:.1f}]"


def per_slice_csv(results: Mapping[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in results["slices"]:
        writer.writerow({k: _canonical(row[k]) for k in CSV_COLUMNS})
    return buf.getvalue()


def adversarial_csv(results: Mapping[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        ["category", "n", "correct", "accuracy", "wilson_lo", "wilson_hi", "low_sample"]
    )
    for cat, cell in results["adversarial"]["by_category"].items():
        acc = cell["accuracy"]
        writer.writerow(
            [
                cat,
                cell["n"],
                cell["correct"],
                _canonical(acc),
                *_canonical(cell["wilson"]),
                cell["low_sample"],
            ]
        )
    return buf.getvalue()


def _headline(results: Mapping[str, Any]) -> list[str]:
    acc = results["accuracy"]
    cal = results["calibration"]
    adv = results["adversarial"]["overall"]
    lines = ["| Metric | Value | 95 % CI |", "|---|---|---|"]
    for name, cell in sorted(results.get("perplexity", {}).items()):
        lines.append(f"| Perplexity ({name}) | {cell['ppl']:.3f} | — |")
    lines += [
        f"| Core accuracy (n={acc['n']}) | {_pct(acc['accuracy'])} | {_ci(acc['wilson'])} |",
        f"| ECE ({cal['n_bins']} equal-width bins) | {cal['ece']:.3f} | — |",
        f"| Brier (top choice) | {cal['brier']:.3f} | — |",
        f"| Adversarial accuracy (n={adv['n']}) | {_pct(adv['accuracy'])} | {_ci(adv['wilson'])} |",
    ]
    return lines


def _slice_tables(results: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for name in SLICES:
        rows = [r for r in results["slices"] if r["slice_name"] == name]
        lines += [
            f"### By {name}",
            "",
            "| Value | n | Correct | Accuracy | 95 % CI |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['slice_value']} | {r['n']} | {r['correct']} | {_pct(r['accuracy'])} | "
            f"{_ci((r['wilson_lo'], r['wilson_hi']))} |"
            for r in rows
        ]
        lines.append("")
    lines += ["### By verb (counts only)", "", "| Verb | Correct / n |", "|---|---|"]
    lines += [f"| {v} | {c['correct']} / {c['n']} |" for v, c in results["by_verb"].items()]
    return lines


def header_lines(
    meta: Mapping[str, Any], *, checkpoint_name: str, eval_date: str = "(not recorded)"
) -> list[str]:
    """The report's title and identity block; a fact the checkpoint does not record reads "n/a"."""

    def fact(key: str) -> Any:
        value = meta.get(key)
        return "n/a" if value is None else value

    return [
        f"# Eval report — {checkpoint_name}",
        "",
        f"- **Checkpoint sha256:** {fact('checkpoint_sha256')}",
        f"- **Training step:** {fact('step')}",
        f"- **Probe set sha256:** {fact('probe_set_sha256')}",
        f"- **Eval date:** {eval_date}",
        f"- **Seed:** {fact('seed')}",
    ]


def render_report(
    results: Mapping[str, Any], *, checkpoint_name: str, eval_date: str = "(not recorded)"
) -> str:
    """The REPORT.md text: header, then the 8 sections in the seed's order."""
    cal = results["calibration"]
    labels = results["confusion"]["labels"]
    lines = [
        *header_lines(
            results.get("meta", {}), checkpoint_name=checkpoint_name, eval_date=eval_date
        ),
        "",
        SECTIONS[0],
        "",
        *_headline(results),
        "",
        SECTIONS[1],
        "",
        "Weakest first. Intervals are 95 % Wilson intervals.",
        "",
        *_slice_tables(results),
        "",
        SECTIONS[2],
        "",
        f"![reliability](reliability.png) — ECE {cal['ece']:.3f}, Brier {cal['brier']:.3f}, "
        f"multiclass Brier {cal['brier_multiclass']:.3f}, smallest bin {cal['min_bin_count']} probes.",
        "",
        SECTIONS[3],
        "",
        "| Category | n | Accuracy | 95 % CI |",
        "|---|---|---|---|",
    ]
    for cat, cell in results["adversarial"]["by_category"].items():
        flag = " (low sample)" if cell["low_sample"] else ""
        lines.append(
            f"| {cat}{flag} | {cell['n']} | {_pct(cell['accuracy'])} | {_ci(cell['wilson'])} |"
        )
    lines += ["", "![adversarial](adversarial_by_category.png)", "", SECTIONS[4], ""]
    lines += ["| true \\ implied | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    for label, row in zip(labels, results["confusion"]["matrix"], strict=True):
        lines.append(f"| {label} | " + " | ".join(str(c) for c in row) + " |")
    lines += ["", SECTIONS[5], ""]
    passk = results.get("pass_at_k")
    if passk:
        lines += ["| Prompt cell | pass@1 | pass@10 |", "|---|---|---|"]
        lines += [
            f"| {cell} | {v['pass@1']:.3f} | {v['pass@10']:.3f} |" for cell, v in passk.items()
        ]
    else:
        lines.append(
            "Not run for this report (needs the generation sub-eval with a trained checkpoint)."
        )
    lines += [
        "",
        SECTIONS[6],
        "",
        INTERPRETATION_MARKER,
        "",
        SECTIONS[7],
        "",
        f"- {results['n_core']} core probes: slices of 10-16 probes have Wilson intervals ~40 points wide.",
        "- Spanish probes are out of the training distribution (the tutor reads English sentences), and the "
        "tokenizer saw far less Spanish: expect lower Spanish accuracy and higher Spanish perplexity.",
        f"- {results.get('n_cropped', 0)} probe(s) did not fit the model's context window: the start of the "
        "framed input sentence was cropped, so the model judged them on a partial sentence.",
        "- Adversarial categories under 3 probes are flagged (low sample) and should not be read alone.",
        f"- Confidence is a softmax over 2-5 candidates; ECE mixes candidate-set sizes ({cal['n_bins']} bins, "
        f"smallest bin {cal['min_bin_count']}).",
        "",
    ]
    return "\n".join(lines)


def plot_reliability(results: Mapping[str, Any], path: Path, *, checkpoint_name: str) -> Path:
    cal = results["calibration"]
    bins = cal["bins"]
    fig, ax = figure(width=6.0, height=5.0)
    width = 1.0 / cal["n_bins"]
    centres = [(b["lo"] + b["hi"]) / 2 for b in bins]
    accs = [b["accuracy"] if b["count"] else 0.0 for b in bins]
    ax.bar(centres, accs, width=width * 0.9, color="tab:blue", alpha=0.7, label="accuracy per bin")
    empty = [c for c, b in zip(centres, bins, strict=True) if not b["count"]]
    ax.plot(empty, [0.0] * len(empty), "x", color="grey", label="empty bin")
    ax.plot([0, 1], [0, 1], "--", color="black", label="perfect calibration")
    for c, b in zip(centres, bins, strict=True):
        if b["count"]:
            ax.annotate(f"n={b['count']}", (c, 0.02), ha="center", fontsize=7, color="white")
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence of the picked candidate", ylabel="accuracy")
    ax.legend(loc="upper left")
    n = sum(b["count"] for b in bins)
    return save_png(
        fig, path, title=f"Reliability — {checkpoint_name}, ECE={cal['ece']:.3f}, N={n}"
    )


def plot_per_slice(results: Mapping[str, Any], path: Path) -> Path:
    fig, axes = figure(2, 2, width=10.0, height=7.0)
    for ax, name in zip(np.ravel(axes), SLICES, strict=True):
        rows = sorted(
            (r for r in results["slices"] if r["slice_name"] == name),
            key=lambda r: r["slice_value"],
        )
        acc = [r["accuracy"] for r in rows]
        err = [
            [a - r["wilson_lo"] for a, r in zip(acc, rows, strict=True)],
            [r["wilson_hi"] - a for a, r in zip(acc, rows, strict=True)],
        ]
        ax.bar(
            [r["slice_value"] for r in rows], acc, yerr=err, capsize=4, color="tab:green", alpha=0.8
        )
        ax.set(ylim=(0, 1.05), title=f"by {name}", ylabel="accuracy (95 % Wilson CI)")
        ax.tick_params(axis="x", labelrotation=20)
    return save_png(fig, path, title="Core probe accuracy per slice")


def plot_adversarial(results: Mapping[str, Any], path: Path) -> Path:
    cats = results["adversarial"]["by_category"]
    names = list(cats)
    acc = [cats[c]["accuracy"] or 0.0 for c in names]
    lo = [a - cats[c]["wilson"][0] for a, c in zip(acc, names, strict=True)]
    hi = [cats[c]["wilson"][1] - a for a, c in zip(acc, names, strict=True)]
    fig, ax = figure(width=8.0, height=4.5)
    colors = ["tab:red" if cats[c]["low_sample"] else "tab:purple" for c in names]
    ax.barh(names, acc, xerr=[lo, hi], capsize=4, color=colors, alpha=0.8)
    for y, c in enumerate(names):
        ax.annotate(f"n={cats[c]['n']}", (0.01, y), va="center", color="white", fontsize=8)
    ax.set(xlim=(0, 1.05), xlabel="accuracy (95 % Wilson CI; red = fewer than 3 probes)")
    return save_png(fig, path, title="Adversarial accuracy by category")


def write_report_dir(
    results: Mapping[str, Any],
    out_dir: Path,
    *,
    checkpoint_name: str,
    eval_date: str = "(not recorded)",
) -> list[Path]:
    """Write every file of one checkpoint's evaluation into `out_dir`, each atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = {
        "results.json": results_json(results),
        "per_slice.csv": per_slice_csv(results),
        "adversarial_by_category.csv": adversarial_csv(results),
        "REPORT.md": render_report(results, checkpoint_name=checkpoint_name, eval_date=eval_date),
    }
    paths = [write_text_atomic(out_dir / name, text) for name, text in texts.items()]
    paths.append(
        plot_reliability(results, out_dir / "reliability.png", checkpoint_name=checkpoint_name)
    )
    paths.append(plot_per_slice(results, out_dir / "per_slice.png"))
    paths.append(plot_adversarial(results, out_dir / "adversarial_by_category.png"))
    return paths


__all__ = [
    "INTERPRETATION_MARKER",
    "SECTIONS",
    "adversarial_csv",
    "per_slice_csv",
    "header_lines",
    "plot_adversarial",
    "plot_per_slice",
    "plot_reliability",
    "render_report",
    "results_json",
    "write_report_dir",
]
