#!/usr/bin/env python3
"""Benchmark (not a test): how long `lynx --help`, `lynx phase list` … take to start, and what they import.

    uv run python scripts/bench_cli_startup.py                       # this checkout, 5 warm runs each
    uv run python scripts/bench_cli_startup.py --baseline 46b1b61    # …side by side with an older commit
    uv run python scripts/bench_cli_startup.py --uv --importtime     # also `uv run lynx …`, and -X importtime

Each command runs once to warm the file cache, then `--runs` times; the median is the figure to quote. With
`--baseline REF` the older commit is checked out into a temporary git worktree and run with the same
interpreter (its `src/` first on PYTHONPATH), alternating with this checkout run for run, so both see the same
machine load. Wall times depend on the machine: compare the two columns, not the numbers across machines.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = (("--help",), ("phase", "list"), ("lab", "list"), ("break", "list"))
LYNX = Path(sys.executable).with_name("lynx")  # the installed console script, as a learner runs it


@contextmanager
def baseline_src(ref: str | None) -> Iterator[Path | None]:
    """`src/` of `ref` in a throwaway git worktree (None: no baseline)."""
    if ref is None:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="lynx-baseline-"))
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--quiet", "--detach", str(folder), ref],
        check=True,
    )
    try:
        yield folder / "src"
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)], check=False
        )
        shutil.rmtree(folder, ignore_errors=True)


def _env(src: Path | None) -> dict[str, str]:
    env = dict(os.environ, PYTHONHASHSEED=os.environ.get("PYTHONHASHSEED", "0"))
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


def wall_time(argv: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def importtime(args: Sequence[str], src: Path | None, top: int) -> list[tuple[float, str]]:
    """The `top` heaviest top-level imports (cumulative seconds) of `lynx ARGS`."""
    code = f"from lynx_cortex.cli import cli; cli({list(args)!r}, prog_name='lynx', standalone_mode=False)"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=_env(src),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        if not name.startswith(
            "  "
        ):  # top level only: nested imports are inside their parent's figure
            rows.append((int(cumulative) / 1e6, name.strip()))
    return sorted(rows, reverse=True)[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    parser.add_argument("--baseline", metavar="REF", help="also time this git commit, alternating")
    parser.add_argument(
        "--uv", action="store_true", help="also time `uv run lynx …` (this checkout)"
    )
    parser.add_argument("--importtime", action="store_true", help="show the heaviest imports")
    parser.add_argument("--top", type=int, default=10, help="imports to show (default 10)")
    args = parser.parse_args()

    with baseline_src(args.baseline) as old_src:
        variants: list[tuple[str, list[str], Path | None]] = [("this checkout", [str(LYNX)], None)]
        if old_src is not None:
            variants.insert(0, (f"baseline {args.baseline}", [str(LYNX)], old_src))
        if args.uv:
            variants.append(("uv run (this checkout)", ["uv", "run", "--quiet", "lynx"], None))
        print(f"{args.runs} warm runs each, median [min-max] seconds; {os.cpu_count()} CPUs")
        for command in COMMANDS:
            times: dict[str, list[float]] = {name: [] for name, _, _ in variants}
            for _name, prefix, src in variants:  # warm-up, not counted
                wall_time([*prefix, *command], _env(src))
            for _ in range(args.runs):
                for name, prefix, src in variants:
                    times[name].append(wall_time([*prefix, *command], _env(src)))
            shown = "  ".join(
                f"{name}: {statistics.median(t):.2f} [{min(t):.2f}-{max(t):.2f}]"
                for name, t in times.items()
            )
            print(f"lynx {' '.join(command):<12} {shown}")
        if args.importtime:
            for name, _, src in variants[:2]:
                print(f"\nheaviest imports of `lynx phase list`, {name} (cumulative s):")
                for seconds, module in importtime(("phase", "list"), src, args.top):
                    print(f"  {seconds:6.3f}  {module}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
