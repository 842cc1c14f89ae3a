"""Corpus statistics and the phase 12 plots: coverage, error-type Pareto, lengths per tense, EN vs ES length.

The plots answer the questions a reviewer asks before training on a corpus: is every cell there, which errors
dominate, how long are rows per tense (the model's context budget), and does the Spanish look like Spanish
(accented bytes make it longer; if the ratio were 1.0 the accents would be missing).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lynx_cortex.plotting import figure, save_png
from minicorpus.mis_conjugate import MIS_CONJUGATION_TYPES
from minicorpus.rows import Row
from minicorpus.verb_table import TENSES, VERB_TABLE

PLOT_NAMES = (
    "coverage_heatmap.png",
    "mis_conjugation_pareto.png",
    "length_per_tense.png",
    "english_spanish_length_scatter.png",
)


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def coverage_matrix(rows: Sequence[Row]) -> np.ndarray:
    """Rows (correct + wrong) per (verb, tense), persons collapsed: shape (20, 6)."""
    verbs = list(VERB_TABLE)
    grid = np.zeros((len(verbs), len(TENSES)), dtype=np.int64)  # (V, T)
    for row in rows:
        grid[verbs.index(row["verb_lemma"]), TENSES.index(row["tense"])] += 1
    return grid


def summarize(rows: Sequence[Row]) -> dict[str, Any]:
    """Headline numbers: counts by label and type, byte lengths, and the Spanish/English length ratio."""
    correct = [row for row in rows if row["label"] == "correct"]
    by_type = Counter(row["mis_conjugation_type"] for row in rows if row["label"] != "correct")
    en = np.array([_bytes(row["text"]) for row in correct], dtype=np.float64)
    es = np.array([_bytes(row["spanish"]) for row in correct], dtype=np.float64)
    grid = coverage_matrix(rows)
    return {
        "total_rows": len(rows),
        "total_correct": len(correct),
        "total_mis_conjugated": len(rows) - len(correct),
        "mis_conjugation_counts_by_type": {
            code: by_type.get(code, 0) for code in MIS_CONJUGATION_TYPES
        },
        "error_types_used": sum(1 for code in MIS_CONJUGATION_TYPES if by_type.get(code, 0)),
        "english_bytes_mean": round(float(en.mean()), 3) if len(en) else 0.0,
        "spanish_bytes_mean": round(float(es.mean()), 3) if len(es) else 0.0,
        "spanish_to_english_byte_ratio": round(float(es.sum() / en.sum()), 4) if en.sum() else 0.0,
        "english_bytes_max": int(max((_bytes(r["text"]) for r in rows), default=0)),
        "spanish_bytes_max": int(max((_bytes(r["spanish"]) for r in rows), default=0)),
        "rows_per_verb_tense_min": int(grid.min()) if grid.size else 0,
        "rows_per_verb_tense_max": int(grid.max()) if grid.size else 0,
    }


def plot_coverage(rows: Sequence[Row], path: Path) -> Path:
    grid = coverage_matrix(rows)
    fig, ax = figure(width=7.5, height=8.0)
    image = ax.imshow(grid, cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(TENSES)), [t.replace("_", "\n") for t in TENSES], fontsize=8)
    ax.set_yticks(range(len(VERB_TABLE)), list(VERB_TABLE))
    ax.set_xlabel("tense surface")
    ax.set_ylabel("verb (12 regular, then 8 irregular)")
    ax.grid(False)
    for (i, j), value in np.ndenumerate(grid):
        ax.text(
            j,
            i,
            str(value),
            ha="center",
            va="center",
            fontsize=7,
            color="white" if value < grid.max() * 0.6 else "black",
        )
    fig.colorbar(image, ax=ax, label="rows (correct + mis-conjugated)")
    return save_png(fig, path, title="Rows per (verb, tense): no empty cell")


def plot_pareto(rows: Sequence[Row], path: Path) -> Path:
    counts = Counter(row["mis_conjugation_type"] for row in rows if row["label"] != "correct")
    ordered = sorted(MIS_CONJUGATION_TYPES, key=lambda code: (-counts.get(code, 0), code))
    values = np.array([counts.get(code, 0) for code in ordered], dtype=np.float64)
    total = values.sum() or 1.0
    fig, ax = figure(width=8.0, height=4.8)
    ax.bar(range(len(ordered)), values, color="tab:blue", label="rows of this type")
    ax.set_xticks(range(len(ordered)), [c.replace("_", "\n", 2) for c in ordered], fontsize=7)
    ax.set_ylabel("mis-conjugated rows")
    ax.set_xlabel("error type")
    twin = ax.twinx()
    twin.plot(
        range(len(ordered)),
        np.cumsum(values) / total * 100,
        color="tab:red",
        marker="o",
        label="cumulative share",
    )
    twin.set_ylabel("cumulative share (%)")
    twin.set_ylim(0, 105)
    ax.legend(loc="upper center")
    twin.legend(loc="center right")
    return save_png(fig, path, title="Which errors the corpus teaches (Pareto)")


def plot_lengths(rows: Sequence[Row], path: Path) -> Path:
    fig, axes = figure(2, 3, width=10.0, height=6.0)
    bins = np.arange(0, 42, 2)
    for ax, tense in zip(axes.ravel(), TENSES, strict=True):
        subset = [row for row in rows if row["tense"] == tense]
        ax.hist([_bytes(r["text"]) for r in subset], bins=bins, alpha=0.7, label="English")
        ax.hist([_bytes(r["spanish"]) for r in subset], bins=bins, alpha=0.5, label="Spanish")
        ax.set_title(tense, fontsize=10)
        ax.set_xlabel("UTF-8 bytes")
        ax.set_ylabel("rows")
    axes[0, 0].legend()
    return save_png(fig, path, title="Row length per tense surface (all rows)")


def plot_length_scatter(rows: Sequence[Row], path: Path) -> Path:
    fig, ax = figure(width=7.0, height=5.5)
    correct = [row for row in rows if row["label"] == "correct"]
    for tense in TENSES:
        subset = [row for row in correct if row["tense"] == tense]
        ax.scatter(
            [_bytes(r["text"]) for r in subset],
            [_bytes(r["spanish"]) for r in subset],
            s=14,
            alpha=0.7,
            label=tense,
        )
    top = max((max(_bytes(r["spanish"]), _bytes(r["text"])) for r in correct), default=10) + 2
    ax.plot([0, top], [0, top], color="grey", linestyle="--", label="equal length")
    ax.set_xlabel("English bytes")
    ax.set_ylabel("Spanish bytes")
    ax.legend(fontsize=8)
    return save_png(fig, path, title="Spanish vs English length (correct rows)")


def write_plots(rows: Sequence[Row], out_dir: Path) -> list[Path]:
    """All four phase 12 plots into `out_dir`, in `PLOT_NAMES` order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    makers = (plot_coverage, plot_pareto, plot_lengths, plot_length_scatter)
    return [make(rows, out_dir / name) for make, name in zip(makers, PLOT_NAMES, strict=True)]
