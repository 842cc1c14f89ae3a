"""Shared test setup: every test starts from the same seeded RNG state, and hypothesis is reproducible in CI."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator

import pytest
from hypothesis import settings

from lynx_cortex.seeding import HashSeedWarning, seed_everything

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


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
