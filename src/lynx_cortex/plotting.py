"""One look for every lab plot: headless backend, readable sizes, PNG at a fixed DPI.

Labs call `figure()` and `save_png()` rather than configuring matplotlib themselves, so every plot in the course
looks like it belongs to the same course and no lab ever tries to open a window. matplotlib (about a second to
import) is loaded on the first plot, not when a module that may plot is imported.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

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


@cache
def _pyplot() -> ModuleType:
    """pyplot on the headless Agg backend (chosen before pyplot is first imported)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def __getattr__(name: str) -> Any:
    """`Axes` and `Figure` for code that imports them from here at run time, loaded on first use."""
    if name == "Axes":
        from matplotlib.axes import Axes

        return Axes
    if name == "Figure":
        from matplotlib.figure import Figure

        return Figure
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def figure(
    nrows: int = 1, ncols: int = 1, *, width: float = 7.0, height: float = 4.2
) -> tuple[Figure, Any]:
    """A new figure and its axes (an `Axes` for 1x1, else an array of them)."""
    plt = _pyplot()
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=True)
    return fig, axes


def save_png(fig: Figure, path: Path, *, title: str | None = None) -> Path:
    """Save `fig` as PNG with a tight layout and close it (labs make many figures in one process)."""
    plt = _pyplot()
    with plt.rc_context(STYLE):
        if title:
            fig.suptitle(title, fontweight="bold")
        fig.tight_layout()
        fig.savefig(path, format="png")
    plt.close(fig)
    return path


__all__ = ["Axes", "Figure", "figure", "save_png"]
