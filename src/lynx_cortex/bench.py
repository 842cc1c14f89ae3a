"""`lynx bench`: every side-by-side performance figure of the course in one run, with the machine it ran on.

Each figure comes from a lab that already measures ours against a reference in the same process (micrograd,
PyTorch CPU, HF `tokenizers`, the naive algorithm, the portal's own `/healthz`), so a figure here is a ratio or
a rate measured next to its reference, never a bare time. `bench` runs those labs (smoke size with `--quick`),
picks the named fields out of their results, and writes `bench.json` and `BENCHMARKS.md` (goal and verdict per
figure; a `--baseline` run's figures as a "before" column). The core imports no package of ours: the labs are
found through the registry by id, like `lynx lab run` finds them.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from lynx_cortex.atomic import write_json_atomic, write_text_atomic
from lynx_cortex.errors import LynxError
from lynx_cortex.labkit import MODE_ENV
from lynx_cortex.progress import track
from lynx_cortex.runner import run_lab

Extract = Callable[[Mapping[str, Any]], float | dict[str, float] | None]


def _path(*keys: str) -> Extract:
    def get(results: Mapping[str, Any]) -> float | None:
        value: Any = results
        for key in keys:
            if not isinstance(value, Mapping) or key not in value:
                return None
            value = value[key]
        return float(value) if isinstance(value, int | float) else None

    return get


def _each(group: str, field: str) -> Extract:
    """`{name: results[group][name][field]}` for every entry of a per-case table."""

    def get(results: Mapping[str, Any]) -> dict[str, float] | None:
        table = results.get(group)
        if not isinstance(table, Mapping):
            return None
        found = {
            str(name): float(row[field])
            for name, row in table.items()
            if isinstance(row, Mapping) and isinstance(row.get(field), int | float)
        }
        return found or None

    return get


@dataclass(frozen=True)
class Figure:
    name: str
    lab: str
    extract: Extract
    meaning: str
    goal: str = ""
    meets: Callable[[float], bool] | None = None  # applied to every value of a per-case figure


FIGURES: tuple[Figure, ...] = (
    Figure(
        "train_step_ratio_vs_torch",
        "18-throughput",
        _each("configs", "minigrad_time_over_torch"),
        "MiniGPT training step time, minigrad over PyTorch (same network, 1 thread)",
        "≤ 1.5",
        lambda v: v <= 1.5,
    ),
    Figure(
        "kv_decode_ratio_vs_torch",
        "22-decode-speed",
        _each("runs", "array_over_torch"),
        "greedy decode tokens/s with a KV cache, our array path over PyTorch's",
        "≥ 0.5",
        lambda v: v >= 0.5,
    ),
    Figure(
        "scalar_speedup_vs_micrograd",
        "08-autograd-speed",
        _path("ratios", "speedup_vs_micrograd"),
        "scalar autograd step, micrograd's time over ours (GC paused on both)",
    ),
    Figure(
        "tensor_overhead_vs_torch",
        "08-autograd-speed",
        _path("ratios", "overhead_vs_torch"),
        "tensor autograd step time, ours over PyTorch's",
    ),
    Figure(
        "bpe_train_time_ratio_vs_hf",
        "11-bpe-speed",
        _path("train_time_ratio_ours_over_hf"),
        "BPE training time, ours over HF tokenizers'",
    ),
    Figure(
        "bpe_encode_time_ratio_vs_hf",
        "11-bpe-speed",
        _path("encode_time_ratio_ours_cold_over_hf"),
        "BPE encoding time (cold cache), ours over HF tokenizers'",
    ),
    Figure(
        "portal_pages_per_s",
        "41-portal-throughput",
        _path("portal_pages_per_s"),
        "phase pages per second, one portal process on SQLite",
        "≥ 1000",
        lambda v: v >= 1000,
    ),
    Figure(
        "portal_page_p95_ms",
        "41-portal-throughput",
        _path("portal_page_p95_ms"),
        "page latency p95 under that closed-loop load (ms)",
    ),
    Figure(
        "portal_postgresql_over_sqlite",
        "41-portal-throughput",
        _path("postgresql_over_sqlite"),
        "pages per second on PostgreSQL over SQLite",
        "≥ 0.8",
        lambda v: v >= 0.8,
    ),
    Figure(
        "login_p95_ms",
        "41-portal-load",
        _path("routes", "login", "p95_ms"),
        "login latency p95 with a class logging in (ms; Argon2id 64 MiB)",
        "< 300",
        lambda v: v < 300,
    ),
)

#: `41-portal-load` reads its size from the environment; `--quick` shrinks the class and the window.
QUICK_LOAD_ENV = {"LYNX_LOAD_USERS": "10", "LYNX_LOAD_SECONDS": "5"}


def machine() -> dict[str, Any]:
    """What the figures depend on: CPU, cores this process may use, BLAS kernel, load, versions."""
    from threadpoolctl import threadpool_info  # here: `lynx --help` must not pay for it

    cpu = ""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
        cpu = next(
            (ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines() if "model name" in ln), ""
        )
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    versions: dict[str, str | None] = {}
    for package in ("numpy", "torch", "tokenizers", "micrograd", "uvicorn", "sqlalchemy"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": cpu or platform.processor() or platform.machine(),
        "cores": cores,
        "python": platform.python_version(),
        "blas": [
            {k: info.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for info in threadpool_info()
            if info.get("user_api") == "blas"
        ],
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "versions": versions,
    }


def _verdict(figure: Figure, value: float | dict[str, float] | None) -> str:
    if figure.meets is None or value is None:
        return ""
    values = value.values() if isinstance(value, dict) else [value]
    return "met" if all(figure.meets(v) for v in values) else "not met"


def run_bench(
    out: Path,
    *,
    quick: bool,
    seed: int,
    labs: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Run the labs behind `FIGURES` into `out/<lab id>/` and return the summary (also in `out/bench.json`)."""
    wanted = list(dict.fromkeys(f.lab for f in FIGURES))
    if labs is not None:
        unknown = sorted(set(labs) - set(wanted))
        if unknown:
            raise LynxError(
                f"not a benchmark lab: {', '.join(unknown)} (choose from {', '.join(wanted)})"
            )
        wanted = [lab for lab in wanted if lab in labs]
    saved = {name: os.environ.get(name) for name in (MODE_ENV, *QUICK_LOAD_ENV)}
    os.environ[MODE_ENV] = "smoke" if quick else "default"
    if quick:
        os.environ.update(QUICK_LOAD_ENV)
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    results: dict[str, Mapping[str, Any]] = {}
    try:
        for lab_id in track(wanted, desc="bench"):
            results[lab_id] = run_lab(lab_id, out=out / lab_id, seed=seed).results
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    figures: dict[str, Any] = {}
    verdicts: dict[str, str] = {}
    for figure in FIGURES:
        if figure.lab in results:
            figures[figure.name] = figure.extract(results[figure.lab])
            verdicts[figure.name] = _verdict(figure, figures[figure.name])
    summary = {
        "quick": quick,
        "started_at": started.isoformat(),
        "load_average_before": list(load_before),
        "load_average_after": list(os.getloadavg()),
        "machine": machine(),
        "labs": wanted,
        **figures,
        "verdicts": verdicts,
    }
    write_json_atomic(out / "bench.json", summary)
    return summary


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):
        return "; ".join(f"{k} {_cell(v)}" for k, v in value.items())
    number = float(value)
    return f"{number:,.0f}" if abs(number) >= 100 else f"{number:.2f}"


def render_markdown(summary: Mapping[str, Any], baseline: Mapping[str, Any] | None = None) -> str:
    """The table of `BENCHMARKS.md`: figure, what it means, before (if a baseline), now, goal, verdict."""
    head = [
        "figure",
        "what it measures",
        *(["before"] if baseline else []),
        "now",
        "goal",
        "verdict",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for figure in FIGURES:
        if figure.name not in summary:
            continue
        before = [_cell(baseline.get(figure.name))] if baseline else []
        row = [
            f"`{figure.name}`",
            figure.meaning,
            *before,
            _cell(summary[figure.name]),
            figure.goal or "—",
            summary["verdicts"].get(figure.name) or "—",
        ]
        lines.append("| " + " | ".join(row) + " |")
    info = summary["machine"]
    blas = ", ".join(
        f"{b['internal_api']} {b['version']} {b['architecture']}" for b in info["blas"]
    )
    load = " / ".join(f"{x:.2f}" for x in summary["load_average_before"])
    return "\n".join(
        [
            f"# Benchmarks ({'quick' if summary['quick'] else 'full'} run, {summary['started_at'][:16]}Z)",
            "",
            f"Machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, BLAS {blas or 'unknown'}; "
            f"load average before the run {load}. Every figure is measured against its reference in the same "
            "run (each lab's results.json sits beside the copy of this file in the run's folder); `uv run lynx bench` reproduces it.",
            "",
            *lines,
            "",
        ]
    )


def load_baseline(path: Path) -> dict[str, Any]:
    """An earlier run's bench.json, checked before anything runs (a bad file fails in a second, not after)."""
    try:
        baseline = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LynxError(f"{path}: not a bench.json ({exc})") from exc
    if not isinstance(baseline, dict):
        raise LynxError(f"{path}: not a bench.json (no JSON object)")
    return baseline


def write_report(
    out: Path, summary: Mapping[str, Any], baseline: Mapping[str, Any] | None = None
) -> Path:
    path = out / "BENCHMARKS.md"
    write_text_atomic(path, render_markdown(summary, baseline))
    return path


__all__ = [
    "FIGURES",
    "Figure",
    "load_baseline",
    "machine",
    "render_markdown",
    "run_bench",
    "write_report",
]
