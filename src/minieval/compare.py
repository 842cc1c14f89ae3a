"""Phase 20: COMPARE.md — two checkpoints' reports side by side, with noise called noise.

A difference between two accuracies means something only when it is larger than what resampling the probes
would produce. The rule here is deliberately simple and conservative: when the two 95 % Wilson intervals
overlap, the row says "within noise"; otherwise it gets ▲ (B better) or ▼ (B worse), and changes of 10
points or more with disjoint intervals are flagged in bold. Overlapping intervals do not prove "no
difference" — they say these probe counts cannot tell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SIGNIFICANT_POINTS = 10.0


def verdict(a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    """'within noise', '▲' or '▼' (bold when >= 10 points) for two cells with accuracy and wilson."""
    if a["accuracy"] is None or b["accuracy"] is None:
        return "n/a"
    (a_lo, a_hi), (b_lo, b_hi) = a["wilson"], b["wilson"]
    if a_lo <= b_hi and b_lo <= a_hi:
        return "within noise"
    arrow = "▲" if b["accuracy"] > a["accuracy"] else "▼"
    points = abs(b["accuracy"] - a["accuracy"]) * 100
    return (
        f"**{arrow} {points:.1f} pp**"
        if points >= SIGNIFICANT_POINTS
        else f"{arrow} {points:.1f} pp"
    )


def _cell(acc: float | None) -> str:
    return "n/a" if acc is None else f"{100 * acc:.1f} %"


def _row(label: str, a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    return f"| {label} | {_cell(a['accuracy'])} (n={a['n']}) | {_cell(b['accuracy'])} (n={b['n']}) | {verdict(a, b)} |"


def _slice_cells(results: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (r["slice_name"], r["slice_value"]): {
            "n": r["n"],
            "accuracy": r["accuracy"],
            "wilson": (r["wilson_lo"], r["wilson_hi"]),
        }
        for r in results["slices"]
    }


def render_compare(
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    *,
    names: Sequence[str] = ("A", "B"),
    reliability_pngs: Sequence[str] | None = None,
) -> str:
    """COMPARE.md for results dicts `a` (baseline) and `b` (candidate); PNG paths are relative to COMPARE.md."""
    name_a, name_b = names
    if a.get("meta", {}).get("probe_set_sha256") != b.get("meta", {}).get("probe_set_sha256"):
        warning = [
            "",
            "> ⚠️ The two reports used different probe sets: their numbers are not comparable.",
            "",
        ]
    else:
        warning = [""]
    head = f"| | {name_a} | {name_b} | B vs A |"
    lines = [
        f"# Compare — {name_a} vs {name_b}",
        *warning,
        "## Headline",
        "",
        head,
        "|---|---|---|---|",
    ]
    lines.append(_row("Core accuracy", a["accuracy"], b["accuracy"]))
    lines.append(
        _row("Adversarial accuracy", a["adversarial"]["overall"], b["adversarial"]["overall"])
    )
    for key in ("ece", "brier"):
        lines.append(
            f"| {key.upper() if key == 'ece' else 'Brier'} | {a['calibration'][key]:.3f} | "
            f"{b['calibration'][key]:.3f} | {b['calibration'][key] - a['calibration'][key]:+.3f} |"
        )
    for split in sorted(set(a.get("perplexity", {})) & set(b.get("perplexity", {}))):
        pa, pb = a["perplexity"][split]["ppl"], b["perplexity"][split]["ppl"]
        lines.append(f"| Perplexity ({split}) | {pa:.3f} | {pb:.3f} | {pb - pa:+.3f} |")
    lines += ["", "## Per slice", "", head.replace("| |", "| Slice |"), "|---|---|---|---|"]
    cells_a, cells_b = _slice_cells(a), _slice_cells(b)
    for slice_key in sorted(set(cells_a) & set(cells_b)):
        name, value = slice_key
        lines.append(_row(f"{name} = {value}", cells_a[slice_key], cells_b[slice_key]))
    lines += [
        "",
        "## Adversarial categories",
        "",
        head.replace("| |", "| Category |"),
        "|---|---|---|---|",
    ]
    cats_a, cats_b = a["adversarial"]["by_category"], b["adversarial"]["by_category"]
    for cat in cats_a:
        if cat in cats_b:
            lines.append(_row(cat, cats_a[cat], cats_b[cat]))
    if reliability_pngs:
        cells = "".join(f'<td><img src="{p}" width="360"></td>' for p in reliability_pngs)
        lines += ["", "## Reliability", "", f"<table><tr>{cells}</tr></table>"]
    lines += [
        "",
        "Rows marked *within noise* have overlapping 95 % Wilson intervals: these probe counts cannot tell the "
        "two checkpoints apart there.",
        "",
    ]
    return "\n".join(lines)


__all__ = ["SIGNIFICANT_POINTS", "render_compare", "verdict"]
