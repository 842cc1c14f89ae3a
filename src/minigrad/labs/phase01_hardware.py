"""Phase 01 labs: profile this machine, measure its memory bandwidth and cache behaviour, draw its roofline.

Every number here is measured on the machine the lab runs on; nothing comes from a datasheet. Timings on a
shared machine are noisy, so each measurement keeps the best of several samples and each lab reports ratios
against a reference measured in the same run (in-cache vs DRAM bandwidth, stride 1 vs stride S, kernel vs
the measured roof), which survive noise far better than absolute numbers.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from lynx_cortex.atomic import write_text_atomic
from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minigrad.bench import Timing, blas_kernel, time_call
from minigrad.hardware import (
    data_cache_sizes,
    derived_peak_gflops,
    machine_profile,
    ridge_point,
)
from minigrad.linalg import matmul_naive
from minigrad.numerics import softmax

KIB = 1024
MIB = 1024 * KIB


def _cache_lines(ax: Any, caches: Mapping[str, int], scale: float = 1.0) -> None:
    """Dashed vertical markers at each cache size (x in bytes / scale)."""
    for i, (name, size) in enumerate(caches.items()):
        ax.axvline(size / scale, color=f"C{i + 3}", linestyle="--", linewidth=1, alpha=0.8)
        ax.annotate(
            f"{name} {size // KIB} KiB" if size < MIB else f"{name} {size // MIB} MiB",
            xy=(size / scale, 1.0),
            xycoords=("data", "axes fraction"),
            rotation=90,
            va="top",
            ha="right",
            fontsize=8,
        )


# --- 01-machine-profile ----------------------------------------------------------------------------------


@lab("01-machine-profile", title="Machine profile: CPU, SIMD, caches, derived peak FLOP/s")
def machine_profile_lab(ctx: LabContext) -> Mapping[str, Any]:
    prof = machine_profile()
    caches = data_cache_sizes(prof.caches)
    cores = prof.usable_cpus
    derived = (
        derived_peak_gflops(prof.clock_ghz, cores, prof.fp32_lanes) if prof.clock_ghz else None
    )
    arithmetic = (
        f"{prof.clock_ghz:.2f} GHz x {cores} cores x {prof.fp32_lanes} fp32 lanes x 2 (FMA) "
        f"= {derived:.1f} GFLOP/s"
        if derived
        else "clock unknown: cannot derive a peak"
    )
    ctx.config["source"] = "/proc/cpuinfo and /sys/devices/system/cpu (no sudo)"
    lines = [
        "# Machine profile",
        "",
        f"- CPU: {prof.cpu_model} ({prof.logical_cpus} logical CPUs, {cores} usable)",
        f"- SIMD: {', '.join(prof.simd) or 'none reported'} -> {prof.fp32_lanes} fp32 lanes",
        f"- Clock: {prof.clock_ghz or 'unknown'} GHz ({prof.clock_source})",
        f"- RAM: {prof.ram_gib} GiB; governor: {prof.governor or 'not exposed'}; kernel {prof.kernel}",
        *(
            f"- {c.kind} L{c.level}: {c.size_bytes // KIB} KiB, line {c.line_bytes} B, "
            f"{c.ways}-way, shared by {c.shared_by_cpus} CPU(s)"
            for c in prof.caches
        ),
        f"- Derived fp32 peak (one FMA unit per core): {arithmetic}",
        f"- BLAS: {blas_kernel()['kernel']}",
        "",
        "The measured ceilings are in `lynx lab run 01-roofline`; a derived peak assumes one FMA unit per",
        "core and the listed clock, so the measured one may be up to 2x higher or lower.",
    ]
    write_text_atomic(ctx.path("profile.md"), "\n".join(lines) + "\n")

    fig, ax = figure(width=7.0, height=3.8)
    names = [f"L{c.level} {c.kind[0]}" for c in prof.caches]
    sizes = [c.size_bytes / KIB for c in prof.caches]
    bars = ax.bar(names, sizes, color=[f"C{c.level - 1}" for c in prof.caches])
    ax.set_yscale("log")
    ax.set_ylabel("capacity per instance (KiB, log scale)")
    ax.set_xlabel("cache level (D = data, I = instruction, U = unified)")
    for bar, c in zip(bars, prof.caches, strict=True):
        ax.annotate(
            f"{c.size_bytes // KIB:,} KiB\n{c.ways}-way",
            xy=(bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_title(f"Cache hierarchy of {prof.cpu_model}")
    save_png(fig, ctx.path("cache_hierarchy.png"))
    return {
        "profile": prof.as_dict(),
        "data_caches_bytes": caches,
        "derived_peak_fp32_gflops": derived,
        "derived_peak_arithmetic": arithmetic,
        "blas": blas_kernel(),
    }


# --- 01-memory-bandwidth ---------------------------------------------------------------------------------


def copy_bandwidth(n_bytes: int, *, min_sample_s: float, samples: int) -> tuple[float, Timing]:
    """GB/s of `np.copyto` on float32 buffers of `n_bytes`: each copy reads and writes every byte."""
    n = max(1, n_bytes // 4)
    src = np.ones(n, dtype=np.float32)
    dst = np.empty_like(src)
    timing = time_call(lambda: np.copyto(dst, src), min_sample_s=min_sample_s, samples=samples)
    return 2 * src.nbytes / timing.best_s / 1e9, timing


_BANDWIDTH = {
    "smoke": {"min_kib": 4, "max_kib": 4096, "min_sample_s": 0.002, "samples": 2},
    "default": {"min_kib": 4, "max_kib": 256 * 1024, "min_sample_s": 0.02, "samples": 3},
    "full": {"min_kib": 1, "max_kib": 1024 * 1024, "min_sample_s": 0.1, "samples": 5},
}


@lab("01-memory-bandwidth", title="Memory bandwidth: np.copyto from L1-sized to DRAM-sized buffers")
def memory_bandwidth(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, _BANDWIDTH)
    caches = data_cache_sizes()
    sizes_kib: list[int] = []
    kib = cfg["min_kib"]
    while kib <= cfg["max_kib"]:
        sizes_kib.append(kib)
        kib *= 2
    rows = []
    for size in sizes_kib:
        gbs, timing = copy_bandwidth(
            size * KIB, min_sample_s=cfg["min_sample_s"], samples=cfg["samples"]
        )
        rows.append(
            {
                "size_kib": size,
                "bytes_per_copy": 2 * size * KIB,
                "gb_per_s": gbs,
                **timing.as_dict(),
            }
        )
    peak = max(rows, key=lambda r: r["gb_per_s"])
    largest = rows[-1]
    l3 = caches.get("L3", caches.get("L2", 0))
    beyond = [r["gb_per_s"] for r in rows if l3 and r["size_kib"] * KIB >= 4 * l3]
    dram = float(np.median(beyond)) if beyond else largest["gb_per_s"]
    fig, ax = figure(width=8.0, height=4.5)
    ax.plot(sizes_kib, [r["gb_per_s"] for r in rows], "o-", label="np.copyto (read + write)")
    ax.axhline(dram, color="grey", linestyle=":", label=f"largest-buffer plateau {dram:.1f} GB/s")
    _cache_lines(ax, caches, scale=KIB)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("size of each buffer (KiB, log2; a copy touches source + destination = 2x)")
    ax.set_ylabel("bandwidth (GB/s)")
    ax.set_title(
        "Copy bandwidth: call overhead on the left, caches in the middle, DRAM on the right"
    )
    ax.legend(loc="upper right")
    save_png(fig, ctx.path("bandwidth.png"))
    return {
        "rows": rows,
        "caches_bytes": caches,
        "peak_gb_per_s": peak["gb_per_s"],
        "peak_at_kib": peak["size_kib"],
        "dram_gb_per_s": dram,
        "dram_measured_beyond_4x_llc": bool(beyond),
        "cache_to_dram_ratio": peak["gb_per_s"] / dram,
        "blas": blas_kernel(),
    }


# --- 01-cache-stride -------------------------------------------------------------------------------------


def strided_ns_per_access(
    buf: np.ndarray, stride: int, *, min_sample_s: float, samples: int
) -> float:
    """Nanoseconds per element of `np.add.reduce(buf[::stride])` (a view: no copy, only the walk)."""
    view = buf[::stride]
    timing = time_call(lambda: np.add.reduce(view), min_sample_s=min_sample_s, samples=samples)
    return timing.best_s / view.size * 1e9


_STRIDE = {
    "smoke": {"buffer_mib": 8, "max_stride": 256, "min_sample_s": 0.002, "samples": 2},
    "default": {"buffer_mib": 128, "max_stride": 1024, "min_sample_s": 0.02, "samples": 3},
    "full": {"buffer_mib": 512, "max_stride": 4096, "min_sample_s": 0.1, "samples": 5},
}


@lab("01-cache-stride", title="Cache walks: ns per access as the stride grows past a cache line")
def cache_stride(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, _STRIDE)
    buf = np.ones(cfg["buffer_mib"] * MIB // 4, dtype=np.float32)
    strides = [2**k for k in range(cfg["max_stride"].bit_length()) if 2**k <= cfg["max_stride"]]
    rows = []
    for s in strides:
        ns = strided_ns_per_access(buf, s, min_sample_s=cfg["min_sample_s"], samples=cfg["samples"])
        rows.append({"stride_elems": s, "stride_bytes": 4 * s, "ns_per_access": ns})
    base = rows[0]["ns_per_access"]
    for r in rows:
        r["slowdown_vs_stride_1"] = r["ns_per_access"] / base
    line_elems = 16  # 64-byte line / 4-byte float32
    fig, ax = figure(width=8.0, height=4.5)
    ax.loglog(strides, [r["ns_per_access"] for r in rows], "o-", label="np.add.reduce(buf[::s])")
    ax.axvline(
        line_elems, color="C3", linestyle="--", label="one 64 B cache line per access (s = 16)"
    )
    ax.set_xscale("log", base=2)
    ax.set_xlabel("stride s (float32 elements, log2)")
    ax.set_ylabel("time per element read (ns, log)")
    ax.set_title(f"Strided reads over a {cfg['buffer_mib']} MiB buffer: fewer adds, not less time")
    ax.legend()
    save_png(fig, ctx.path("cache_stride.png"))
    worst = max(rows, key=lambda r: r["ns_per_access"])
    return {
        "rows": rows,
        "buffer_mib": cfg["buffer_mib"],
        "ns_per_access_stride_1": base,
        "worst_stride": worst["stride_elems"],
        "worst_over_best": worst["ns_per_access"] / min(r["ns_per_access"] for r in rows),
        "blas": blas_kernel(),
    }


# --- 01-roofline -----------------------------------------------------------------------------------------


def _gflops(flops: float, func: Callable[[], object], min_sample_s: float, samples: int) -> float:
    return flops / time_call(func, min_sample_s=min_sample_s, samples=samples).best_s / 1e9


def decode_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """One query attending over a KV cache: the memory-bound heart of token-by-token decoding."""
    scores = (k @ q) * (1.0 / math.sqrt(q.shape[0]))  # (T,); a Python float keeps float32
    out: np.ndarray = softmax(scores) @ v  # (D,)
    return out


_ROOF = {
    "smoke": {
        "gemm_n": 256,
        "stream_mib": 16,
        "vec_n": 1 << 16,
        "naive_n": 24,
        "kv_t": 512,
        "min_sample_s": 0.005,
        "samples": 2,
    },
    "default": {
        "gemm_n": 1024,
        "stream_mib": 256,
        "vec_n": 1 << 24,  # 64 MiB per vector: past the last-level cache of most machines
        "naive_n": 64,
        "kv_t": 1 << 17,  # a 32 MiB key cache and a 32 MiB value cache
        "min_sample_s": 0.05,
        "samples": 3,
    },
    "full": {
        "gemm_n": 2048,
        "stream_mib": 1024,
        "vec_n": 1 << 26,
        "naive_n": 128,
        "kv_t": 1 << 18,
        "min_sample_s": 0.2,
        "samples": 5,
    },
}


def read_bandwidth(n_bytes: int, *, min_sample_s: float, samples: int) -> float:
    """GB/s of a read-only pass (`np.add.reduce`) over a float32 buffer of `n_bytes`."""
    buf = np.ones(max(1, n_bytes // 4), dtype=np.float32)
    timing = time_call(lambda: np.add.reduce(buf), min_sample_s=min_sample_s, samples=samples)
    return buf.nbytes / timing.best_s / 1e9


def measure_ceilings(
    rng: np.random.Generator, gemm_n: int, stream_bytes: int, min_sample_s: float, samples: int
) -> dict[str, float]:
    """Compute peaks (best BLAS matmul per dtype) and memory bandwidth (copy and read-only streams)."""
    out: dict[str, float] = {}
    for name, dtype in (("fp32", np.float32), ("fp64", np.float64)):
        a = rng.standard_normal((gemm_n, gemm_n)).astype(dtype)  # (N, N)
        b = rng.standard_normal((gemm_n, gemm_n)).astype(dtype)  # (N, N)
        matmul = functools.partial(np.matmul, a, b)
        all_threads = _gflops(2 * gemm_n**3, matmul, min_sample_s, samples)
        # On a shared machine a busy core can make multi-threaded BLAS slower than one thread; the
        # ceiling is whichever the machine delivered, and both are recorded.
        with threadpool_limits(limits=1, user_api="blas"):
            one_thread = _gflops(2 * gemm_n**3, matmul, min_sample_s, samples)
        out[f"{name}_gflops_all_threads"] = all_threads
        out[f"{name}_gflops_one_thread"] = one_thread
        out[f"{name}_gflops"] = max(all_threads, one_thread)
    out["copy_gb_per_s"], _ = copy_bandwidth(
        stream_bytes, min_sample_s=min_sample_s, samples=samples
    )
    out["read_gb_per_s"] = read_bandwidth(stream_bytes, min_sample_s=min_sample_s, samples=samples)
    return out


@lab("01-roofline", title="Roofline of this machine: measured peak, bandwidth and five kernels")
def roofline(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, _ROOF)
    ms, reps = cfg["min_sample_s"], cfg["samples"]
    rng = ctx.rng
    n = cfg["gemm_n"]
    stream = cfg["stream_mib"] * MIB
    before = measure_ceilings(rng, n, stream, ms, reps)

    measured: list[tuple[str, float, float, float]] = []  # (name, flops, bytes, GFLOP/s)

    def add(name: str, flops: float, bytes_moved: float, func: Callable[[], object]) -> None:
        measured.append((name, flops, bytes_moved, _gflops(flops, func, ms, reps)))

    vn = cfg["vec_n"]
    x = rng.standard_normal(vn).astype(np.float32)
    y = rng.standard_normal(vn).astype(np.float32)
    add("dot (np.dot, fp32)", 2 * vn, 8 * vn, lambda: np.dot(x, y))
    add("softmax (fp32)", 5 * vn, 8 * vn, lambda: softmax(x))
    t, d = cfg["kv_t"], 64
    q = rng.standard_normal(d).astype(np.float32)
    kc = rng.standard_normal((t, d)).astype(np.float32)  # (T, D) key cache
    vc = rng.standard_normal((t, d)).astype(np.float32)  # (T, D) value cache
    add(
        "decode attention (1 query, T x 64 KV)",
        4 * t * d + 5 * t,
        8 * t * d,
        lambda: decode_attention(q, kc, vc),
    )
    nn = cfg["naive_n"]
    an = rng.standard_normal((nn, nn)).astype(np.float32)
    add(f"naive Python matmul N={nn}", 2 * nn**3, 8 * nn**3, lambda: matmul_naive(an, an))
    ag = rng.standard_normal((n, n)).astype(np.float32)
    add(f"BLAS matmul N={n} (fp32)", 2 * n**3, 3 * 4 * n**2, lambda: ag @ ag)
    after = measure_ceilings(rng, n, stream, ms, reps)

    # Ceilings are the best seen before or after the kernels, so load that comes and goes on a shared
    # machine lowers them less; a kernel can still land a little above its roof when it ran at a quiet moment.
    peaks = {p: max(before[f"{p}_gflops"], after[f"{p}_gflops"]) for p in ("fp32", "fp64")}
    pi = peaks["fp32"]
    beta = max(
        before["copy_gb_per_s"],
        before["read_gb_per_s"],
        after["copy_gb_per_s"],
        after["read_gb_per_s"],
    )
    kernels: list[dict[str, Any]] = []
    for name, flops, bytes_moved, perf in measured:
        intensity = flops / bytes_moved
        roof = min(pi, intensity * beta)
        kernels.append(
            {
                "kernel": name,
                "flops": flops,
                "bytes": bytes_moved,
                "intensity": intensity,
                "gflops": perf,
                "roof_gflops": roof,
                "fraction_of_roof": perf / roof,
            }
        )
    ridge = ridge_point(pi, beta)
    fig, ax = figure(width=8.5, height=5.5)
    xs = np.logspace(-2, 3, 200)
    ax.loglog(
        xs,
        np.minimum(pi, xs * beta),
        color="black",
        linewidth=2,
        label=f"fp32 roof: min({pi:.0f} GFLOP/s, I x {beta:.1f} GB/s)",
    )
    ax.loglog(
        xs,
        np.minimum(peaks["fp64"], xs * beta),
        color="grey",
        linestyle="--",
        label=f"fp64 roof ({peaks['fp64']:.0f} GFLOP/s)",
    )
    ax.axvline(ridge, color="C3", linestyle=":", label=f"ridge I* = {ridge:.1f} FLOP/byte")
    for i, k in enumerate(kernels):
        ax.loglog(
            k["intensity"],
            k["gflops"],
            "o",
            markersize=8,
            color=f"C{i}",
            label=f"{k['kernel']}: {k['gflops']:.2g} GFLOP/s",
        )
    ax.set_xlabel("arithmetic intensity I (FLOP / byte moved, log)")
    ax.set_ylabel("performance (GFLOP/s, log)")
    ax.set_ylim(min(k["gflops"] for k in kernels) / 3, max(pi, peaks["fp64"]) * 1.5)
    ax.set_title("Roofline of this machine (measured ceilings, not datasheet)")
    ax.legend(fontsize=7, loc="lower right")
    save_png(fig, ctx.path("roofline.png"))
    return {
        "peak_gflops": peaks,
        "bandwidth_gb_per_s": beta,
        "ridge_flop_per_byte": ridge,
        "kernels": kernels,
        "ceiling_rounds": {"before_kernels": before, "after_kernels": after},
        "peak_method": (
            f"best {n}x{n} BLAS matmul per dtype (all threads or one), before and after the kernels"
        ),
        "bandwidth_method": (
            f"best of np.copyto (read + write) and np.add.reduce (read) over {cfg['stream_mib']} MiB, "
            "before and after the kernels"
        ),
        "blas": blas_kernel(),
    }


# --- break 01 --------------------------------------------------------------------------------------------


@breaks(
    1,
    title="L1-busting stride",
    change="walk the same buffer with stride 1024 instead of 1 (1024x fewer additions)",
)
def stride_break(ctx: LabContext, buffer_mib: int = 64, stride: int = 1024) -> BreakOutcome:
    buf = np.ones(buffer_mib * MIB // 4, dtype=np.float32)
    ctx.config.update({"buffer_mib": buffer_mib, "stride": stride})

    def walk(s: int) -> dict[str, Any]:
        view = buf[::s]
        timing = time_call(lambda: np.add.reduce(view), min_sample_s=0.01, samples=3)
        return {
            "stride": s,
            "elements": int(view.size),
            "ms_total": timing.best_s * 1e3,
            "ns_per_element": timing.best_s / view.size * 1e9,
        }

    healthy, broken = walk(1), walk(stride)
    per_element = broken["ns_per_element"] / healthy["ns_per_element"]
    total_speedup = healthy["ms_total"] / broken["ms_total"]
    detected = per_element >= 5.0 and total_speedup < stride / 5
    symptom = (
        f"{stride}x fewer additions made the walk only {total_speedup:.0f}x faster: each element now costs "
        f"{per_element:.0f}x more time, because every read pulls a fresh cache line (and page) from memory"
        if detected
        else f"no clear cache cliff: per-element cost rose only {per_element:.1f}x"
    )
    return BreakOutcome(healthy=healthy, broken=broken, symptom=symptom, detected=detected)
