"""Timing helpers for the performance labs: warm up, repeat until the clock can be trusted, report spread.

A single `perf_counter` around a 2 µs call measures the timer, not the call. `time_call` therefore repeats a
call until one sample lasts at least `min_sample_s` (batching fast calls), collects several samples and
reports the best and the median; the best is the least disturbed by other processes on a shared machine.
Every benchmark also records which BLAS kernel NumPy used (`blas_kernel`), because OPENBLAS_CORETYPE and
thread counts change matmul speed severalfold and a number without them cannot be compared.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np  # noqa: F401 - loaded so threadpoolctl can see NumPy's BLAS

from lynx_cortex.runinfo import blas_info, env_info


@dataclass(frozen=True)
class Timing:
    """Seconds per call: best and median over `samples`, each averaging `inner` back-to-back calls."""

    best_s: float
    median_s: float
    samples: int
    inner: int

    @property
    def calls(self) -> int:
        return self.samples * self.inner

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def time_call(
    func: Callable[[], object],
    *,
    min_sample_s: float = 0.02,
    samples: int = 5,
    warmup: int = 1,
    max_inner: int = 1 << 20,
) -> Timing:
    """Time `func()`; fast calls are batched so each sample lasts at least `min_sample_s`."""
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    for _ in range(warmup):
        func()
    inner = 1
    while True:  # grow the batch until one sample is long enough to time reliably
        start = time.perf_counter()
        for _ in range(inner):
            func()
        elapsed = time.perf_counter() - start
        if elapsed >= min_sample_s or inner >= max_inner:
            break
        inner = min(max_inner, inner * max(2, int(min_sample_s / max(elapsed, 1e-9)) + 1))
    per_call = [elapsed / inner]
    for _ in range(samples - 1):
        start = time.perf_counter()
        for _ in range(inner):
            func()
        per_call.append((time.perf_counter() - start) / inner)
    return Timing(
        best_s=min(per_call), median_s=statistics.median(per_call), samples=samples, inner=inner
    )


def blas_kernel() -> dict[str, Any]:
    """What NumPy's matmul runs on: BLAS library, version, kernel (architecture), threads, env knobs."""
    libs = blas_info()
    blas = [
        lib for lib in libs if lib.get("internal_api") in {"openblas", "mkl", "blis", "accelerate"}
    ]
    env = env_info()
    return {
        "libraries": libs,
        "kernel": "; ".join(
            f"{lib.get('internal_api')} {lib.get('version')} {lib.get('architecture', '?')} "
            f"x{lib.get('num_threads')}"
            for lib in blas
        )
        or "unknown (no BLAS library reported by threadpoolctl)",
        "OPENBLAS_CORETYPE": env["OPENBLAS_CORETYPE"],
        "OMP_NUM_THREADS": env["OMP_NUM_THREADS"],
        "OPENBLAS_NUM_THREADS": env["OPENBLAS_NUM_THREADS"],
    }


__all__ = ["Timing", "blas_kernel", "time_call"]
