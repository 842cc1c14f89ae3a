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


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture KB indexed by the real build (bi-encoder trained briefly), once per session."""
    from minirag.biencoder import BiEncoderConfig
    from minirag.build import BuildConfig, build_index

    out = tmp_path_factory.mktemp("rag-index")
    build_index(FIXTURE_KB, out, BuildConfig(encoder=BiEncoderConfig(steps=150)))
    return out
