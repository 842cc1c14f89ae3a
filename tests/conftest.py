"""Shared test setup: seeded RNGs before every test, reproducible hypothesis in CI, and no silent oracle skips.

Under CI a skip can hide a failure: without the torch wheel installed, 245 oracle tests would skip and the run
would still go green. So when CI provides an oracle, a test that skips for want of it fails instead:

- torch is required when `LYNX_REQUIRE_TORCH` is true, or when `CI` is set and a torch wheel sits in the folder
  `.ci/run` installs from (`$PIP_FIND_LINKS`, else `/opt/wheels`); `LYNX_REQUIRE_TORCH=0` opts out;
- PostgreSQL is required when `CI` is set and `LYNX_TEST_POSTGRES_URL` is (`.ci/run` sets it only once
  `pg_isready` answered), so a server that went away fails the run instead of skipping the portal's PG tests.
  Without the variable nothing is required: a machine without PostgreSQL still passes.

BLAS runs one thread per test process (unless the caller set a thread count). The suite's matrices are small and
the machine has two shared cores: a second OpenBLAS thread buys nothing there, and when the other core is busy
its spin-waiting made training labs 3-6 times slower. The variables are exported too, so CLI subprocesses and
torch (which reads OMP_NUM_THREADS when first imported) follow.
"""

from __future__ import annotations

import importlib
import os
import re
import warnings
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from threadpoolctl import threadpool_limits

from lynx_cortex.seeding import HashSeedWarning, seed_everything

pytest_plugins = ("pytester",)

#: The thread-count variables of the BLAS/OpenMP builds NumPy, SciPy and torch may load.
BLAS_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _one_blas_thread() -> None:
    """Pin BLAS to one thread for this process and its children, unless a thread count was chosen."""
    if any(os.environ.get(name) for name in BLAS_THREAD_VARS):
        return
    for name in BLAS_THREAD_VARS:
        os.environ[name] = "1"  # libraries loaded from now on, and every subprocess
    # libraries already loaded read the variables before we set them: limit them in place (NumPy imported
    # first, so threadpoolctl sees its OpenBLAS even if nothing had loaded it yet)
    importlib.import_module("numpy")
    threadpool_limits(limits=1)


_one_blas_thread()

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@pytest.fixture(autouse=True)
def _seeded() -> Iterator[None]:
    """Seed random, NumPy's global state and torch before each test; restore PYTHONHASHSEED afterwards."""
    before = os.environ.get("PYTHONHASHSEED")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HashSeedWarning)
        seed_everything(42)
    yield
    if before is None:
        os.environ.pop("PYTHONHASHSEED", None)
    else:
        os.environ["PYTHONHASHSEED"] = before


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", *_FALSE}


def torch_required() -> bool:
    """Whether a torch-oracle test may not skip in this run (see the module docstring)."""
    flag = os.environ.get("LYNX_REQUIRE_TORCH", "").strip().lower()
    if flag in _TRUE:
        return True
    if flag in _FALSE or not _in_ci():
        return False
    wheels = Path(os.environ.get("PIP_FIND_LINKS") or "/opt/wheels")
    return any(wheels.glob("torch-*.whl"))


def _torch_importable() -> bool:
    try:
        importlib.import_module("torch")
    except ImportError:
        return False
    return True


def _required_skip(reason: str) -> str | None:
    """Why this skip must fail the run, or None when skipping is fine here."""
    if re.search("torch", reason, re.IGNORECASE) and torch_required() and not _torch_importable():
        return (
            "torch is required here (CI with a torch wheel at hand, or LYNX_REQUIRE_TORCH=1) but the test "
            'skipped without it; run `uv pip install --find-links "${PIP_FIND_LINKS:-/opt/wheels}" '
            '"torch==2.13.0+cpu"`'
        )
    if "LYNX_TEST_POSTGRES_URL" in reason and _in_ci() and os.environ.get("LYNX_TEST_POSTGRES_URL"):
        return "CI set LYNX_TEST_POSTGRES_URL (a server answered) but the PostgreSQL test skipped"
    return None


def _skip_reason(report: pytest.CollectReport | pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # (path, line, "Skipped: reason")
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _fail_required_skip(report: pytest.CollectReport | pytest.TestReport) -> None:
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report)
    why = _required_skip(reason)
    if why is not None:
        report.outcome = "failed"
        report.longrepr = f"{why}. Skip reason: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    _fail_required_skip(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """Module-level `pytest.importorskip("torch")` skips at collection, so collection is checked too."""
    report = yield
    _fail_required_skip(report)
    return report
