"""minigrad.hardware, minigrad.bench and lynx_cortex.labkit: roofline arithmetic, profile parsing, timing."""

from __future__ import annotations

import json
import time

import pytest

from minigrad.bench import blas_kernel, time_call
from minigrad.hardware import (
    attainable_gflops,
    data_cache_sizes,
    derived_peak_gflops,
    machine_profile,
    parse_size,
    ridge_point,
)


def test_roofline_arithmetic_from_the_seed() -> None:
    # i5-8250U at base clock: 1.6 GHz x 4 cores x 8 lanes x 2 = 102.4 GFLOP/s.
    assert derived_peak_gflops(1.6, 4, 8) == pytest.approx(102.4)
    assert ridge_point(200.0, 20.0) == 10.0
    assert attainable_gflops(0.25, 100.0, 20.0) == 5.0  # naive matmul: 2.5 % of peak
    assert attainable_gflops(170.0, 200.0, 20.0) == 200.0  # blocked matmul: compute-bound
    with pytest.raises(ValueError, match="positive"):
        ridge_point(0.0, 1.0)


@pytest.mark.parametrize(
    ("text", "size"),
    [("32K", 32768), ("2048K", 2 << 20), ("32 MiB", 32 << 20), ("1M", 1 << 20), ("64", 64)],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_machine_profile_is_self_consistent() -> None:
    prof = machine_profile()
    assert prof.logical_cpus >= 1 and 1 <= prof.usable_cpus <= prof.logical_cpus
    assert prof.fp32_lanes in (4, 8, 16)
    caches = data_cache_sizes(prof.caches)
    if "L1d" in caches and "L2" in caches:
        assert caches["L1d"] < caches["L2"]
    json.dumps(prof.as_dict())  # serialisable into results.json


def test_time_call_batches_fast_calls_and_reports_per_call() -> None:
    timing = time_call(lambda: None, min_sample_s=0.005, samples=3)
    assert timing.inner > 1 and timing.samples == 3
    assert 0 < timing.best_s <= timing.median_s
    slow = time_call(lambda: time.sleep(0.01), min_sample_s=0.001, samples=2, warmup=0)
    assert slow.inner == 1
    assert slow.best_s >= 0.009  # a sleep is a lower bound, whatever else the machine is doing
    assert timing.median_s < slow.best_s  # per-call, not per-batch: a no-op beats a 10 ms sleep
    with pytest.raises(ValueError, match="samples"):
        time_call(lambda: None, samples=0)


def test_blas_kernel_is_reported() -> None:
    info = blas_kernel()
    assert "OPENBLAS_CORETYPE" in info and "kernel" in info
    assert isinstance(info["libraries"], list)
