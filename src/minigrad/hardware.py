"""What this machine is, read from Linux's own files, and the roofline arithmetic that uses it.

Phase 01 argues from measurements on the learner's computer, so the profile is read from `/proc/cpuinfo` and
`/sys/devices/system/cpu` (no sudo, no external tools) and every field that cannot be read says so instead of
guessing. The roofline model: attainable GFLOP/s = min(π, I · β) for a kernel doing I FLOPs per byte moved,
with π the compute peak and β the memory bandwidth; the ridge point I* = π / β separates memory-bound from
compute-bound kernels.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

_SYS_CPU = Path("/sys/devices/system/cpu")
_SIMD_FLAGS = ("sse2", "avx", "avx2", "fma", "avx512f", "avx512_bf16", "amx_tile", "neon", "asimd")


@dataclass(frozen=True)
class CacheLevel:
    level: int
    kind: str  # Data, Instruction, Unified
    size_bytes: int
    line_bytes: int | None
    ways: int | None
    shared_by_cpus: int | None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return None


def parse_size(text: str) -> int:
    """'32K' / '2048K' / '32 MiB' / '1M' -> bytes."""
    cleaned = text.strip().upper().replace("IB", "").replace("B", "").replace(" ", "")
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if cleaned and cleaned[-1] in units:
        return int(float(cleaned[:-1]) * units[cleaned[-1]])
    return int(cleaned)


def cache_levels(cpu: int = 0) -> list[CacheLevel]:
    """The cache hierarchy seen by one CPU (`/sys/.../cpuN/cache/index*`); empty if not exposed."""
    base = _SYS_CPU / f"cpu{cpu}" / "cache"
    found: list[CacheLevel] = []
    for index in sorted(base.glob("index*")):
        level, kind, size = (_read(index / n) for n in ("level", "type", "size"))
        if level is None or kind is None or size is None:
            continue
        line = _read(index / "coherency_line_size")
        ways = _read(index / "ways_of_associativity")
        shared = _read(index / "shared_cpu_list")
        found.append(
            CacheLevel(
                level=int(level),
                kind=kind,
                size_bytes=parse_size(size),
                line_bytes=int(line) if line and line.isdigit() else None,
                ways=int(ways) if ways and ways.isdigit() else None,
                shared_by_cpus=_count_cpus(shared) if shared else None,
            )
        )
    return found


def _count_cpus(cpu_list: str) -> int:
    total = 0
    for part in cpu_list.split(","):
        lo, _, hi = part.partition("-")
        total += int(hi) - int(lo) + 1 if hi else 1
    return total


def data_cache_sizes(levels: list[CacheLevel] | None = None) -> dict[str, int]:
    """{'L1d': bytes, 'L2': bytes, 'L3': bytes} for the levels that exist (per core as the OS reports)."""
    out: dict[str, int] = {}
    for c in levels if levels is not None else cache_levels():
        if c.kind == "Instruction":
            continue
        out["L1d" if c.level == 1 else f"L{c.level}"] = c.size_bytes
    return out


def _cpuinfo() -> dict[str, str]:
    text = _read(Path("/proc/cpuinfo")) or ""
    first: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if first:
                break  # the first processor block is enough
            continue
        key, _, value = line.partition(":")
        first.setdefault(key.strip().lower(), value.strip())
    return first


@dataclass(frozen=True)
class MachineProfile:
    cpu_model: str
    logical_cpus: int
    usable_cpus: int
    simd: list[str]
    clock_ghz: float | None
    clock_source: str
    caches: list[CacheLevel] = field(default_factory=list)
    ram_gib: float | None = None
    governor: str | None = None
    kernel: str = ""

    @property
    def fp32_lanes(self) -> int:
        """fp32 values per SIMD register: 16 with AVX-512, 8 with AVX/AVX2, 4 with SSE/NEON."""
        if "avx512f" in self.simd:
            return 16
        if "avx" in self.simd or "avx2" in self.simd:
            return 8
        return 4

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fp32_lanes"] = self.fp32_lanes
        return data


def machine_profile() -> MachineProfile:
    info = _cpuinfo()
    flags = set((info.get("flags") or info.get("features") or "").split())
    mhz_max = _read(_SYS_CPU / "cpu0" / "cpufreq" / "cpuinfo_max_freq")
    if mhz_max and mhz_max.isdigit():
        clock, source = int(mhz_max) / 1e6, "cpufreq cpuinfo_max_freq"
    elif "cpu mhz" in info:
        clock, source = float(info["cpu mhz"]) / 1e3, "/proc/cpuinfo 'cpu MHz' (current, not max)"
    else:
        clock, source = None, "unavailable"
    try:
        ram: float | None = round(
            os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30, 1
        )
    except (ValueError, OSError, AttributeError):
        ram = None
    return MachineProfile(
        cpu_model=info.get("model name") or info.get("hardware") or "unknown",
        logical_cpus=os.cpu_count() or 1,
        usable_cpus=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1,
        simd=sorted(f for f in _SIMD_FLAGS if f in flags),
        clock_ghz=clock,
        clock_source=source,
        caches=cache_levels(),
        ram_gib=ram,
        governor=_read(_SYS_CPU / "cpu0" / "cpufreq" / "scaling_governor"),
        kernel=os.uname().release,
    )


def derived_peak_gflops(clock_ghz: float, cores: int, lanes: int, *, fma: bool = True) -> float:
    """π = clock × cores × SIMD lanes × 2 (an FMA is a multiply and an add) — one FMA unit per core.

    Many cores have two FMA units, so the true peak can be twice this; the roofline lab measures it instead.
    """
    if clock_ghz <= 0 or cores < 1 or lanes < 1:
        raise ValueError(f"need positive clock, cores and lanes, got {clock_ghz}, {cores}, {lanes}")
    return clock_ghz * cores * lanes * (2 if fma else 1)


def attainable_gflops(intensity: float, peak_gflops: float, bandwidth_gbs: float) -> float:
    """The roofline: min(π, I · β). GB/s × FLOP/byte = GFLOP/s."""
    if intensity < 0 or peak_gflops <= 0 or bandwidth_gbs <= 0:
        raise ValueError("intensity must be >= 0 and peak/bandwidth > 0")
    return min(peak_gflops, intensity * bandwidth_gbs)


def ridge_point(peak_gflops: float, bandwidth_gbs: float) -> float:
    """I* = π / β FLOP/byte: kernels below it wait on memory, kernels above it wait on arithmetic."""
    if peak_gflops <= 0 or bandwidth_gbs <= 0:
        raise ValueError("peak and bandwidth must be positive")
    return peak_gflops / bandwidth_gbs


__all__ = [
    "CacheLevel",
    "MachineProfile",
    "attainable_gflops",
    "cache_levels",
    "data_cache_sizes",
    "derived_peak_gflops",
    "machine_profile",
    "parse_size",
    "ridge_point",
]
