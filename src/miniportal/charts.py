"""Small charts as inline SVG, drawn on the server: no JavaScript library, no CDN, readable without colour.

The pages are server-rendered and must work offline behind Caddy; an SVG string is the smallest chart that
needs nothing on the client. Each chart carries a `<title>` and an `aria-label`, and every mark has its own
`<title>`, so a screen reader (or a hover) gives the numbers, not just the shape. Coordinates are rounded to
one decimal: the markup stays short and the same data always draws the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 360.0
HEIGHT = 140.0
PAD_LEFT = 34.0  # room for the y-axis labels
PAD_RIGHT = 8.0
PAD_TOP = 10.0
PAD_BOTTOM = 22.0  # room for the x-axis labels


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str  # what the mark's tooltip says, e.g. "2026-12-01: 14"


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _frame(label: str, body: str, y_top: str, x_first: str, x_last: str) -> Markup:
    title = escape(label)
    bottom = HEIGHT - PAD_BOTTOM
    return Markup(  # noqa: S704  # every piece of text in `body` and here went through escape()
        f'<svg class="chart" viewBox="0 0 {_num(WIDTH)} {_num(HEIGHT)}" role="img" aria-label="{title}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{title}</title>'
        f'<line class="axis" x1="{_num(PAD_LEFT)}" y1="{_num(bottom)}" x2="{_num(WIDTH - PAD_RIGHT)}" '
        f'y2="{_num(bottom)}"/>'
        f'<line class="axis" x1="{_num(PAD_LEFT)}" y1="{_num(PAD_TOP)}" x2="{_num(PAD_LEFT)}" '
        f'y2="{_num(bottom)}"/>'
        f'<text class="tick" x="{_num(PAD_LEFT - 4)}" y="{_num(PAD_TOP + 8)}" text-anchor="end">'
        f"{escape(y_top)}</text>"
        f'<text class="tick" x="{_num(PAD_LEFT - 4)}" y="{_num(bottom)}" text-anchor="end">0</text>'
        f'<text class="tick" x="{_num(PAD_LEFT)}" y="{_num(HEIGHT - 6)}">{escape(x_first)}</text>'
        f'<text class="tick" x="{_num(WIDTH - PAD_RIGHT)}" y="{_num(HEIGHT - 6)}" text-anchor="end">'
        f"{escape(x_last)}</text>"
        f"{body}</svg>"
    )


def _empty(label: str, message: str) -> Markup:
    return _frame(
        label,
        f'<text class="empty" x="{_num(WIDTH / 2)}" y="{_num(HEIGHT / 2)}" text-anchor="middle">'
        f"{escape(message)}</text>",
        "",
        "",
        "",
    )


def line_chart(
    points: Sequence[Point],
    *,
    label: str,
    y_max: float,
    y_top: str,
    x_first: str = "",
    x_last: str = "",
    empty: str = "no data yet",
) -> Markup:
    """A polyline through `points` (x in any unit, y in [0, y_max]) with a dot per point; x is scaled from the
    first point's x to the last's, so pass them in x order."""
    if not points:
        return _empty(label, empty)
    xs = [p.x for p in points]
    x_lo, x_hi = min(xs), max(xs)
    span_x = (x_hi - x_lo) or 1.0
    top = y_max if y_max > 0 else 1.0
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def at(p: Point) -> tuple[str, str]:
        fx = 0.5 if x_hi == x_lo else (p.x - x_lo) / span_x
        fy = min(max(p.y / top, 0.0), 1.0)
        return _num(PAD_LEFT + fx * plot_w), _num(PAD_TOP + (1.0 - fy) * plot_h)

    coords = [at(p) for p in points]
    line = " ".join(f"{x},{y}" for x, y in coords)
    dots = "".join(
        f'<circle class="dot" cx="{x}" cy="{y}" r="2.5"><title>{escape(p.label)}</title></circle>'
        for (x, y), p in zip(coords, points, strict=True)
    )
    body = f'<polyline class="line" fill="none" points="{line}"/>{dots}'
    return _frame(label, body, y_top, x_first, x_last)


def bar_chart(
    bars: Sequence[tuple[str, float, str]],
    *,
    label: str,
    y_max: float,
    y_top: str,
    empty: str = "no data yet",
) -> Markup:
    """One bar per `(name, value, tooltip)`, values in [0, y_max]; the first and last names label the x axis."""
    if not bars:
        return _empty(label, empty)
    top = y_max if y_max > 0 else 1.0
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_w / len(bars)
    gap = min(2.0, slot * 0.2)
    rects = []
    for index, (_, value, tip) in enumerate(bars):
        fy = min(max(value / top, 0.0), 1.0)
        height = fy * plot_h
        rects.append(
            f'<rect class="bar" x="{_num(PAD_LEFT + index * slot + gap / 2)}" '
            f'y="{_num(PAD_TOP + plot_h - height)}" width="{_num(slot - gap)}" height="{_num(height)}">'
            f"<title>{escape(tip)}</title></rect>"
        )
    return _frame(label, "".join(rects), y_top, bars[0][0], bars[-1][0])
