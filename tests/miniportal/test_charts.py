"""Server-drawn SVG charts: every mark inside the picture, one mark per datum, heights in proportion, text
escaped, and an empty chart that says so."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from miniportal import charts

NS = "{http://www.w3.org/2000/svg}"
values = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # noqa: S314  # our own output; a parse failure is the bug


def _inside(x: float, y: float) -> bool:
    return 0.0 <= x <= charts.WIDTH and 0.0 <= y <= charts.HEIGHT


@given(st.lists(st.tuples(st.floats(-1e6, 1e6), values), min_size=1, max_size=40))
def test_line_chart_marks_stay_inside_the_picture(data: list[tuple[float, float]]) -> None:
    points = [charts.Point(x, y, f"{x}: {y}") for x, y in sorted(data)]
    svg = _parse(charts.line_chart(points, label="scores", y_max=1.0, y_top="100 %"))
    dots = svg.findall(f"{NS}circle")
    assert len(dots) == len(points)
    for dot in dots:
        assert _inside(float(dot.get("cx", "-1")), float(dot.get("cy", "-1")))
    line = svg.find(f"{NS}polyline")
    assert line is not None
    pairs = [tuple(map(float, p.split(","))) for p in line.get("points", "").split()]
    assert len(pairs) == len(points) and all(_inside(x, y) for x, y in pairs)
    ys = [y for _, y in pairs]  # a higher score is drawn higher (smaller y)
    for (_, a), (_, b), ya, yb in zip(sorted(data), sorted(data)[1:], ys, ys[1:], strict=False):
        if a > b + 0.01:
            assert ya < yb


@given(st.lists(values, min_size=1, max_size=42))
def test_bar_chart_has_one_bar_per_value_with_heights_in_proportion(data: list[float]) -> None:
    bars = [(f"{i:02d}", v, f"{i:02d}: {v}") for i, v in enumerate(data)]
    svg = _parse(charts.bar_chart(bars, label="means", y_max=1.0, y_top="100 %"))
    rects = svg.findall(f"{NS}rect")
    assert len(rects) == len(data)
    tallest = max(data)
    heights = [float(r.get("height", "-1")) for r in rects]
    for rect, height in zip(rects, heights, strict=True):
        x, y, w = (float(rect.get(k, "-1")) for k in ("x", "y", "width"))
        assert _inside(x, y) and _inside(x + w, y + height) and w > 0
    if tallest > 0.05:
        top = max(heights)
        for value, height in zip(data, heights, strict=True):
            assert abs(height / top - value / tallest) < 0.02  # rounding to 0.1 px only


def test_text_is_escaped_and_an_empty_chart_says_so() -> None:
    evil = '<script>alert("x")</script>'
    svg = str(charts.bar_chart([(evil, 0.5, evil)], label=evil, y_max=1.0, y_top=evil))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    _parse(svg)
    empty = str(charts.line_chart([], label="scores", y_max=1.0, y_top="100 %", empty="nada aún"))
    assert "nada aún" in empty and "<circle" not in empty
    assert re.search(r'role="img" aria-label="scores"', empty)


def test_a_strip_has_42_labelled_cells_in_the_readers_language_and_an_escaped_name() -> None:
    from miniportal import strips

    html = str(strips.strip({0: "done", 7: "in_progress", 41: "bogus"}, "es", 'Ana <"x">'))
    cells = re.findall(
        r'class="cell phase-([a-z_]+)" title="(\d\d) · ([^"]+)" aria-label="\2: \3">(.)<', html
    )
    assert len(cells) == 42
    assert cells[0] == ("done", "00", "Terminada", "✓") and cells[7][0::3] == ("in_progress", "½")
    assert (
        cells[41][0] == "not_started"
    )  # an unknown status draws as not started, never breaks the page
    assert 'aria-label="Ana &lt;&#34;x&#34;&gt;"' in html
