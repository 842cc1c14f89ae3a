"""Phase 18-19: numbers computed from a model's outputs and weights, outside the autograd graph.

`token_nll` is the per-position cross-entropy in float64 (the evaluation loss, and the per-row losses the
verb-class panel groups); `spectral_norm` estimates a matrix's largest singular value by power iteration;
`MetricsLog` is the append-only JSONL file a run writes one record per line into.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lynx_cortex.atomic import write_text_atomic
from lynx_cortex.jsonl import read_jsonl

F64 = npt.NDArray[np.float64]


def token_nll(logits: npt.NDArray[Any], targets: npt.NDArray[Any], mask: npt.NDArray[Any]) -> F64:
    """-log p(target) per position (B, T), 0 where `mask` is False; logits (B, T, V) in any float dtype."""
    x = np.asarray(logits, dtype=np.float64)  # (B, T, V)
    if x.shape[:-1] != targets.shape or targets.shape != mask.shape:
        raise ValueError(
            f"token_nll: logits {x.shape}, targets {targets.shape} and mask {mask.shape} disagree"
        )
    z = x - x.max(axis=-1, keepdims=True)  # (B, T, V) shifted, <= 0
    log_norm = np.log(np.exp(z).sum(axis=-1))  # (B, T)
    # from the shifted values: (max + log_norm) - x[target] would cancel two large numbers
    picked = np.take_along_axis(z, targets[..., None].astype(np.intp), axis=-1)[..., 0]  # (B, T)
    return np.where(mask, log_norm - picked, 0.0)


def spectral_norm(matrix: npt.NDArray[Any], *, iters: int = 30, seed: int = 0) -> float:
    """σ_max by power iteration on WᵀW from a fixed random start (deterministic, no saved state).

    Thirty iterations are ample for the small matrices here; the estimate is a lower bound that converges
    from below, so a rising curve is never an artefact of too few iterations.
    """
    w = np.asarray(matrix, dtype=np.float64)
    if w.ndim != 2:
        raise ValueError(f"spectral_norm needs a 2-D matrix, got shape {w.shape}")
    v: F64 = np.asarray(np.random.default_rng(seed).standard_normal(w.shape[1]), dtype=np.float64)
    sigma = 0.0
    for _ in range(iters):
        u = w @ v
        norm_u = float(np.linalg.norm(u))
        if norm_u == 0.0:
            return 0.0
        v = w.T @ (u / norm_u)
        sigma = float(np.linalg.norm(v))
        v /= sigma
    return sigma


def _clean(value: Any) -> Any:
    """JSON has no nan/inf: non-finite floats are written as null (the plots show a gap there)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


class MetricsLog:
    """One JSON object per line; each write is flushed and fsynced so a crash loses at most one line."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, record: Mapping[str, Any]) -> None:
        line = json.dumps(_clean(record), sort_keys=True, allow_nan=False)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def truncate_after(self, step: int) -> None:
        """Drop records of steps after `step` (what an interrupted run logged past its last checkpoint)."""
        if not self.path.exists():
            return
        kept = [r for r in read_metrics(self.path) if int(r.get("step", 0)) <= step]
        write_text_atomic(self.path, "".join(json.dumps(r, sort_keys=True) + "\n" for r in kept))


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """Every record of a metrics file, naming the line of a corrupt one (a `JsonlError`, also a `ValueError`)."""
    return read_jsonl(Path(path))


__all__ = ["MetricsLog", "read_metrics", "spectral_norm", "token_nll"]
