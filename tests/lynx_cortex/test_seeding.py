from __future__ import annotations

import os
import random
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lynx_cortex import seeding
from lynx_cortex.labs.hashseed_break import child_observation
from lynx_cortex.seeding import HashSeedWarning, log_versions, seed_everything

seeds = st.integers(min_value=0, max_value=2**32 - 1)


def _quiet_seed(seed: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HashSeedWarning)
        seed_everything(seed)


@given(seeds)
def test_same_seed_same_stdlib_and_numpy_draws(seed: int) -> None:
    _quiet_seed(seed)
    a = [random.random() for _ in range(5)], np.random.rand(5)
    _quiet_seed(seed)
    b = [random.random() for _ in range(5)], np.random.rand(5)
    assert a[0] == b[0]
    np.testing.assert_array_equal(a[1], b[1])


def test_matches_plain_random_seed() -> None:
    _quiet_seed(0)
    ours = [random.random() for _ in range(10)]
    random.seed(0)
    assert ours == [random.random() for _ in range(10)]


def test_different_seeds_differ() -> None:
    _quiet_seed(1)
    a = np.random.rand(8)
    _quiet_seed(2)
    assert not np.array_equal(a, np.random.rand(8))


def test_seeding_never_imports_torch_itself() -> None:
    # A lab run must not pay torch's import (seconds) just to be seeded; torch is seeded once it is loaded.
    code = (
        "import sys, warnings; warnings.simplefilter('ignore')\n"
        "from lynx_cortex.seeding import seed_everything\n"
        "seed_everything(3); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_torch_draws_repeat() -> None:
    torch = pytest.importorskip(
        "torch", reason="torch is an optional oracle; install the CPU wheel to run this"
    )
    _quiet_seed(7)
    a = torch.randn(6)
    _quiet_seed(7)
    assert torch.equal(a, torch.randn(6))


def test_exports_pythonhashseed_for_children() -> None:
    _quiet_seed(123)
    assert os.environ["PYTHONHASHSEED"] == "123"
    out = subprocess.run(
        [sys.executable, "-c", "import os; print(os.environ['PYTHONHASHSEED'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "123"


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "3", True])
def test_rejects_bad_seeds(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        seed_everything(bad)  # type: ignore[arg-type]


def test_warns_when_process_hash_seed_is_random(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seeding, "STARTUP_HASHSEED", None)
    with pytest.warns(HashSeedWarning, match="PYTHONHASHSEED=5"):
        seed_everything(5)


def test_silent_when_process_started_with_fixed_hash_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seeding, "STARTUP_HASHSEED", "0")
    with warnings.catch_warnings():
        warnings.simplefilter("error", HashSeedWarning)
        seed_everything(5)


def test_child_process_warns_without_hash_seed() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from lynx_cortex.seeding import seed_everything; seed_everything(1)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "HashSeedWarning" in proc.stderr


def test_hash_order_diverges_without_pythonhashseed_but_rng_matches() -> None:
    """The phase 00 break's symptom, measured directly: three fresh processes, 20 verbs."""
    broken = [child_observation(0, None) for _ in range(3)]
    healthy = [child_observation(0, "0") for _ in range(2)]
    assert len({tuple(r["hash_order"]) for r in broken}) > 1  # 1/20! chance of a false alarm
    assert all(r["random"] == broken[0]["random"] for r in broken)
    assert all(r["numpy"] == broken[0]["numpy"] for r in broken)
    assert healthy[0]["hash_order"] == healthy[1]["hash_order"]


def test_log_versions_names_everything_and_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    versions = log_versions()
    assert versions["python"].startswith(f"{sys.version_info.major}.{sys.version_info.minor}")
    assert set(seeding.TRACKED_LIBRARIES) <= set(versions)
    assert versions["numpy"] == np.__version__
    monkeypatch.setattr(seeding, "TRACKED_LIBRARIES", ("surely-not-a-real-package-xyz",))
    monkeypatch.setenv("PATH", "")
    missing = log_versions()
    assert missing["surely-not-a-real-package-xyz"] == "not installed"
    assert missing["uv"] == "not installed"
