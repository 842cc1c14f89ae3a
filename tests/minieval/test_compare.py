"""COMPARE.md: Wilson overlap is 'within noise', a clear drop is flagged."""

from __future__ import annotations

from typing import Any

from minieval.compare import render_compare, verdict
from minieval.metrics import wilson_interval


def cell(correct: int, n: int) -> dict[str, Any]:
    return {
        "n": n,
        "correct": correct,
        "accuracy": correct / n,
        "wilson": list(wilson_interval(correct, n)),
    }


def results(core: tuple[int, int], probe_hash: str = "h") -> dict[str, Any]:
    c, n = core
    lo, hi = wilson_interval(c, n)
    return {
        "meta": {"probe_set_sha256": probe_hash},
        "accuracy": cell(c, n),
        "calibration": {"ece": 0.1, "brier": 0.2},
        "perplexity": {"val": {"ppl": 4.0}},
        "slices": [
            {
                "slice_name": "language",
                "slice_value": "en",
                "n": n,
                "correct": c,
                "accuracy": c / n,
                "wilson_lo": lo,
                "wilson_hi": hi,
            }
        ],
        "adversarial": {
            "overall": cell(10, 20),
            "by_category": {"over_regularization": cell(2, 5)},
        },
    }


def test_one_point_difference_is_within_noise() -> None:
    assert verdict(cell(48, 60), cell(49, 60)) == "within noise"


def test_big_drop_with_disjoint_intervals_is_flagged() -> None:
    assert verdict(cell(57, 60), cell(30, 60)) == "**▼ 45.0 pp**"
    assert (
        verdict(cell(300, 1000), cell(380, 1000)) == "▲ 8.0 pp"
    )  # significant but under 10 points


def test_render_compare_lists_every_section() -> None:
    text = render_compare(results((57, 60)), results((30, 60)), names=("final", "best"))
    assert "# Compare — final vs best" in text
    assert "| Core accuracy | 95.0 % (n=60) | 50.0 % (n=60) | **▼ 45.0 pp** |" in text
    assert "| language = en |" in text and "| over_regularization |" in text
    assert "within noise" in text  # the identical adversarial cells
    assert "different probe sets" not in text


def test_render_compare_warns_on_different_probe_sets() -> None:
    text = render_compare(
        results((50, 60), "h1"), results((50, 60), "h2"), reliability_pngs=["a.png", "b.png"]
    )
    assert "different probe sets" in text
    assert '<img src="b.png"' in text
