"""Acceptance on the real KB: over the whole labelled faithfulness set, in every mode, no answer cites a chunk
that was not retrieved. Skipped until `data/kb/` and its query files exist (the KB arrives on its own branch)."""

from __future__ import annotations

from pathlib import Path

import pytest

from minirag.biencoder import BiEncoderConfig
from minirag.build import BuildConfig, build_index
from minirag.evaluate import faithfulness_eval, read_queries
from minirag.kb import kb_dir
from minirag.pipeline import RAGPipeline
from minirag.retriever import MODES


def test_no_hallucinated_citation_on_the_kb(tmp_path: Path) -> None:
    queries = kb_dir() / "queries" / "faithfulness.jsonl"
    if not queries.is_file():
        pytest.skip(f"no labelled faithfulness set at {queries} yet")
    # a short training run: the check is about citations, which never depend on how good the encoder is
    retriever, _ = build_index(kb_dir(), tmp_path, BuildConfig(encoder=BiEncoderConfig(steps=30)))
    pipeline = RAGPipeline(retriever)
    items = read_queries(queries, faithfulness=True)
    for mode in MODES:
        for k in (1, 5):
            run = faithfulness_eval(pipeline, items, k=k, mode=mode)
            assert run["hallucinated_citations"] == 0, (mode, k)
