"""Shared fixtures: the seed-42 corpus is generated once per session (it is pure and immutable by use)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from minicorpus.generate import generate_rows
from minicorpus.schema import load_schema


@pytest.fixture(scope="session")
def _rows42() -> list[dict[str, Any]]:
    return generate_rows(42)


@pytest.fixture
def rows42(_rows42: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A private deep copy, so a test may corrupt rows freely."""
    return copy.deepcopy(_rows42)


@pytest.fixture(scope="session")
def schema() -> dict[str, Any]:
    return load_schema()
