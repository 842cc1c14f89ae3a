"""One look for every lab plot: headless backend, readable sizes, PNG at a fixed DPI.

Labs call `figure()` and `save_png()` rather than configuring matplotlib themselves, so every plot in the course
looks like it belongs to the same course and no lab ever tries to open a window.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

STYLE: dict[Any, Any] = {
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
}


def figure(
    nrows: int = 1, ncols: int = 1, *, width: float = 7.0, height: float = 4.2
) -> tuple[Figure, Any]:
    """A new figure and its axes (an `Axes` for 1x1, else an array of them)."""
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=True)
    return fig, axes


def save_png(fig: Figure, path: Path, *, title: str | None = None) -> Path:
    """Save `fig` as PNG with a tight layout and close it (labs make many figures in one process)."""
    with plt.rc_context(STYLE):
        if title:
            fig.suptitle(title, fontweight="bold")
        fig.tight_layout()
        fig.savefig(path, format="png")
    plt.close(fig)
    return path


__all__ = ["Axes", "Figure", "figure", "save_png"]
