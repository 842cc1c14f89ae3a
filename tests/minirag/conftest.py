"""Shared fixtures: a small fixture KB (10 rules × EN/ES) and its query files, chunked once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from minirag.chunk import Chunk, bpe_counter, chunk_rules
from minirag.kb import Rule, load_rules

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_KB = FIXTURES / "kb"
FIXTURE_QUERIES = FIXTURES / "queries"


@pytest.fixture(scope="session")
def rules() -> list[Rule]:
    return load_rules(FIXTURE_KB)


@pytest.fixture(scope="session")
def chunks(rules: list[Rule]) -> list[Chunk]:
    return chunk_rules(rules, bpe_counter())
