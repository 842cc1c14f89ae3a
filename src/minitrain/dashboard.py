"""Phase 19: one self-contained HTML page per run — seven PNG panels embedded as base64, no JS, no CDN.

The page is read from `metrics.jsonl` alone (train records every step, eval records with the inspector's
snapshot), so a dashboard can be rebuilt for any finished or interrupted run. Panels:
1 train/val loss with the n-gram baseline · 2 learning rate · 3 global grad norm before/after clipping ·
4 mean |activation| per layer · 5 spectral norm per weight matrix · 6 dead FFN units and collapsed heads ·
7 validation loss of regular vs irregular verbs, the gap τ = L_irr − L_reg shaded.
"""

from __future__ import annotations

import base64
import html
import math
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator

from lynx_cortex.atomic import write_text_atomic
from lynx_cortex.plotting import Axes, Figure, figure, save_png

PANEL_TITLES = (
    "1 · Loss (train, validation, n-gram baseline)",
    "2 · Learning-rate schedule",
    "3 · Global gradient norm, before and after clipping",
    "4 · Mean |activation| per layer",
    "5 · Spectral norm of each weight matrix",
    "6 · Dead FFN units and collapsed attention heads",
    "7 · Validation loss: regular vs irregular verbs",
)


def _series(
    records: Sequence[Mapping[str, Any]], kind: str, key: str
) -> tuple[list[int], list[float]]:
    steps, values = [], []
    for r in records:
        if r.get("kind") == kind and r.get(key) is not None:
            steps.append(int(r["step"]))
            values.append(float(r[key]))
    return steps, values


def _nested(
    records: Sequence[Mapping[str, Any]], path: Sequence[str]
) -> dict[str, tuple[list[int], list[float]]]:
    """eval records' `path` dict (e.g. inspect → activations) as name → (steps, values)."""
    out: dict[str, tuple[list[int], list[float]]] = {}
    for r in records:
        if r.get("kind") != "eval":
            continue
        node: Any = r
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        if not isinstance(node, Mapping):
            continue
        for name, value in node.items():
            if isinstance(value, Mapping):
                value = value.get("mean_abs")
            if value is None or not math.isfinite(float(value)):
                continue
            steps, vals = out.setdefault(str(name), ([], []))
            steps.append(int(r["step"]))
            vals.append(float(value))
    return out


def _empty(ax: Axes, what: str) -> None:
    ax.text(
        0.5,
        0.5,
        f"no {what} recorded in this run",
        ha="center",
        va="center",
        transform=ax.transAxes,
    )
    ax.set_xticks([])
    ax.set_yticks([])


def _smooth(values: list[float], window: int = 25) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.size < window:
        return arr
    kernel = np.ones(window) / window
    head = np.array([arr[: i + 1].mean() for i in range(window - 1)])
    return np.concatenate([head, np.convolve(arr, kernel, mode="valid")])


def _panel_loss(ax: Axes, records: Sequence[Mapping[str, Any]], baseline: float | None) -> None:
    ts, tl = _series(records, "train", "loss")
    vs, vl = _series(records, "eval", "val_loss")
    if not ts and not vs:
        _empty(ax, "loss")
        return
    if ts:
        ax.plot(ts, tl, color="tab:blue", alpha=0.25, lw=0.8, label="train (per step)")
        ax.plot(ts, _smooth(tl), color="tab:blue", lw=1.6, label="train (25-step mean)")
    if vs:
        ax.plot(vs, vl, "o-", color="tab:orange", ms=3, label="validation")
    if baseline is not None:
        ax.axhline(
            baseline, color="black", ls="--", lw=1, label=f"n-gram baseline ({baseline:.2f})"
        )
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats/token, log scale)")
    ax.legend(fontsize=8)


def _panel_lr(ax: Axes, records: Sequence[Mapping[str, Any]]) -> None:
    steps, lr = _series(records, "train", "lr")
    if not steps:
        _empty(ax, "learning rate")
        return
    ax.plot(steps, lr, color="tab:green")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.ticklabel_format(axis="y", style="sci", scilimits=(0, 0))


def _panel_grad(ax: Axes, records: Sequence[Mapping[str, Any]], clip: float | None) -> None:
    steps, pre = _series(records, "train", "grad_norm_pre")
    _, post = _series(records, "train", "grad_norm_post")
    if not steps:
        _empty(ax, "gradient norm")
        return
    ax.plot(steps, pre, color="tab:red", lw=0.9, label="before clipping")
    ax.plot(steps, post, color="tab:blue", lw=0.9, alpha=0.8, label="after clipping")
    if clip is not None:
        ax.axhline(clip, color="black", ls="--", lw=1, label=f"clip = {clip:g}")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("‖g‖₂ over all parameters (log)")
    ax.legend(fontsize=8)


def _panel_lines(
    ax: Axes, series: Mapping[str, tuple[list[int], list[float]]], what: str, ylabel: str, log: bool
) -> None:
    if not series:
        _empty(ax, what)
        return
    for name, (steps, values) in series.items():
        ax.plot(steps, values, "o-", ms=2.5, lw=1.2, label=name)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, ncol=2)


def _panel_dead(ax: Axes, records: Sequence[Mapping[str, Any]]) -> None:
    units = _nested(records, ("inspect", "dead_units"))
    heads = _nested(records, ("inspect", "dead_heads"))
    if not units and not heads:
        _empty(ax, "dead-unit statistics")
        return
    for name, (steps, values) in units.items():
        ax.step(steps, values, where="post", label=f"{name} dead units")
    for name, (steps, values) in heads.items():
        ax.step(steps, values, where="post", ls="--", label=f"{name} collapsed heads")
    top = max([max(v, default=0.0) for _, v in [*units.values(), *heads.values()]], default=0.0)
    ax.set_ylim(-0.3, max(1.0, top) * 1.15 + 0.3)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("step")
    ax.set_ylabel("count (off on > 99 % of positions)")
    ax.legend(fontsize=7, ncol=2)


def _panel_classes(ax: Axes, records: Sequence[Mapping[str, Any]]) -> None:
    per = _nested(records, ("val_by_class",))
    if "regular" not in per or "irregular" not in per:
        _empty(ax, "per-verb-class loss")
        return
    rs, rl = per["regular"]
    is_, il = per["irregular"]
    ax.plot(rs, rl, "o-", ms=3, color="tab:blue", label="regular verbs")
    ax.plot(is_, il, "o-", ms=3, color="tab:purple", label="irregular verbs")
    if rs == is_:
        ax.fill_between(rs, rl, il, color="tab:purple", alpha=0.15, label="τ = L_irr − L_reg")
        ax.set_title(f"final τ = {il[-1] - rl[-1]:+.3f} nats", fontsize=9)
    ax.set_xlabel("step")
    ax.set_ylabel("validation cross-entropy (nats/token)")
    ax.legend(fontsize=8)


def panel_pngs(
    records: Sequence[Mapping[str, Any]], *, baseline_loss: float | None, grad_clip: float | None
) -> list[bytes]:
    """The seven panels as PNG bytes, in order."""
    draws: list[Callable[[Axes], None]] = [
        lambda ax: _panel_loss(ax, records, baseline_loss),
        lambda ax: _panel_lr(ax, records),
        lambda ax: _panel_grad(ax, records, grad_clip),
        lambda ax: _panel_lines(
            ax,
            _nested(records, ("inspect", "activations")),
            "activation statistics",
            "mean |activation|",
            True,
        ),
        lambda ax: _panel_lines(
            ax, _nested(records, ("spectral",)), "spectral norms", "σ_max (power iteration)", False
        ),
        lambda ax: _panel_dead(ax, records),
        lambda ax: _panel_classes(ax, records),
    ]
    pngs: list[bytes] = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, (draw, title) in enumerate(zip(draws, PANEL_TITLES, strict=True)):
            fig: Figure
            fig, ax = figure(width=6.4, height=3.8)
            draw(ax)
            path = save_png(fig, Path(tmp) / f"{index}.png", title=title)
            pngs.append(path.read_bytes())
    return pngs


CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
header dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
dt { font-weight: 600; }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 1rem; }
figure { margin: 0; border: 1px solid #ddd; padding: .4rem; }
img { width: 100%; height: auto; }
"""


def render_html(
    records: Sequence[Mapping[str, Any]],
    *,
    title: str,
    header: Mapping[str, Any],
    baseline_loss: float | None,
    grad_clip: float | None,
) -> str:
    """The whole page as a string: header facts, seven `<img src="data:image/png;base64,…">`, footer."""
    rows = "".join(
        f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(str(v))}</dd>" for k, v in header.items()
    )
    figures = "".join(
        f'<figure><img alt="{html.escape(t)}" src="data:image/png;base64,'
        f'{base64.b64encode(png).decode("ascii")}"><figcaption>{html.escape(t)}</figcaption></figure>'
        for t, png in zip(
            PANEL_TITLES,
            panel_pngs(records, baseline_loss=baseline_loss, grad_clip=grad_clip),
            strict=True,
        )
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1><dl>{rows}</dl></header>"
        f'<main class="grid">{figures}</main>'
        '<footer><p>Provenance: <a href="manifest.json">manifest.json</a> · data: '
        '<a href="metrics.jsonl">metrics.jsonl</a></p></footer></body></html>\n'
    )


def render(
    records: Sequence[Mapping[str, Any]],
    out_html: Path,
    *,
    title: str,
    header: Mapping[str, Any],
    baseline_loss: float | None = None,
    grad_clip: float | None = None,
) -> Path:
    """Write the dashboard atomically to `out_html`."""
    page = render_html(
        records, title=title, header=header, baseline_loss=baseline_loss, grad_clip=grad_clip
    )
    return write_text_atomic(Path(out_html), page)


__all__ = ["PANEL_TITLES", "panel_pngs", "render", "render_html"]
