"""Running a lab or break: seed, give it a fresh folder, then write results.json and manifest.json.

A run writes into a `.partial` folder that is renamed into place only when the run succeeded, so an
`experiments/` folder never holds a run without its manifest.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lynx_cortex.atomic import write_json_atomic
from lynx_cortex.errors import LynxError
from lynx_cortex.files import check_output
from lynx_cortex.labkit import jsonable, lab_mode
from lynx_cortex.manifest import MANIFEST_NAME, Stopwatch, record_manifest
from lynx_cortex.paths import experiments_dir
from lynx_cortex.progress import activity
from lynx_cortex.registry import BreakOutcome, LabContext, get_break, get_lab
from lynx_cortex.seeding import seed_everything

DEFAULT_SEED = 42
RESULTS_NAME = "results.json"


@dataclass(frozen=True)
class RunRecord:
    out_dir: Path
    results: Mapping[str, Any]


def _stamp_dir(parent: Path, clock: Stopwatch) -> Path:
    stamp = clock.started_at.strftime("%Y%m%dT%H%M%SZ")
    candidate = parent / stamp
    suffix = 1
    while candidate.exists() or candidate.with_name(candidate.name + ".partial").exists():
        candidate = parent / f"{stamp}-{suffix}"
        suffix += 1
    return candidate


def target_dir(out: Path | None, default_parent: Path) -> Path:
    """`out` if usable (absent or empty), else a fresh time-stamped folder under `default_parent`.

    Checked before the run starts, so a bad folder fails at once rather than after the work is done."""
    if out is None:
        check_output(default_parent, folder=True, what="output folder")
        return _stamp_dir(default_parent, Stopwatch())
    check_output(out, folder=True, what="output folder")
    if out.exists() and any(out.iterdir()):
        raise LynxError(
            f"output folder {out} already exists and is not empty; choose another --out"
        )
    return out


def execute(
    name: str,
    target: Path,
    seed: int,
    body: Callable[[LabContext], Mapping[str, Any]],
    *,
    run_id: str | None = None,
    extra: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
) -> RunRecord:
    """Seed, run `body` in a `.partial` folder, write results and manifest, then move it into place."""
    clock = Stopwatch()
    partial = target.with_name(target.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        seed_everything(seed)
        ctx = LabContext(out_dir=partial, seed=seed, config=dict(config or {}))
        with activity(name):
            results = jsonable(dict(body(ctx)))
        write_json_atomic(partial / RESULTS_NAME, results)
        artifacts = sorted(p for p in partial.rglob("*") if p.is_file() and p.name != MANIFEST_NAME)
        record_manifest(
            partial,
            seed=seed,
            config={"name": name, **ctx.config},
            artifacts=artifacts,
            started_at=clock.started_at,
            wall_s=clock.elapsed(),
            run_id=run_id or name,
            extra=extra,
        )
        if target.exists():
            target.rmdir()  # an empty --out folder
        partial.rename(target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return RunRecord(target, results)


def run_lab(
    lab_id: str,
    *,
    out: Path | None = None,
    seed: int = DEFAULT_SEED,
    config: Mapping[str, Any] | None = None,
) -> RunRecord:
    """Run a registered lab. `config` pre-sets entries of `ctx.config` (labs read their sizes from it)."""
    spec = get_lab(lab_id)
    lab_mode()  # an unknown LYNX_LAB_MODE is refused even by a lab that has a single size
    target = target_dir(out, experiments_dir() / spec.id)
    return execute(
        spec.id, target, seed, spec.func, run_id=spec.id, extra={"kind": "lab"}, config=config
    )


@dataclass(frozen=True)
class BreakRecord(RunRecord):
    outcome: BreakOutcome


def run_break(
    phase: int,
    *,
    out: Path | None = None,
    seed: int = DEFAULT_SEED,
    config: Mapping[str, Any] | None = None,
) -> BreakRecord:
    spec = get_break(phase)
    lab_mode()
    target = target_dir(out, experiments_dir() / f"break-{phase:02d}")
    holder: list[BreakOutcome] = []

    def body(ctx: LabContext) -> dict[str, Any]:
        outcome = spec.func(ctx)
        holder.append(outcome)
        return {
            "phase": phase,
            "change": spec.change,
            "healthy": dict(outcome.healthy),
            "broken": dict(outcome.broken),
            "symptom": outcome.symptom,
            "detected": outcome.detected,
        }

    record = execute(
        f"break-{phase:02d}",
        target,
        seed,
        body,
        run_id=f"break-{phase:02d}",
        extra={"kind": "break"},
        config=config,
    )
    return BreakRecord(record.out_dir, record.results, holder[0])
