"""What the phase-29 labs share: a freshly built index over the KB and the labelled query sets.

Each lab builds its own index inside its run folder (seconds), so its manifest covers the bi-encoder it
measured; the KB and the query folder default to `data/kb` and `data/kb/queries` and can be pointed elsewhere
through the lab config (`kb`, `queries`), which is how the tests run the labs on a small fixture KB.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lynx_cortex.registry import LabContext
from minirag.biencoder import BiEncoderConfig
from minirag.build import BuildConfig, build_index
from minirag.evaluate import Query, read_queries
from minirag.kb import kb_dir
from minirag.retriever import Retriever


@dataclass(frozen=True)
class Setup:
    retriever: Retriever
    retrieval: list[Query]
    faithfulness: list[Query]
    training: dict[str, object]


def setup(ctx: LabContext, steps: int) -> Setup:
    kb = Path(ctx.config.get("kb") or kb_dir())
    queries = Path(ctx.config.get("queries") or kb / "queries")
    ctx.config.update({"kb": str(kb), "queries": str(queries)})
    cfg = BuildConfig(encoder=BiEncoderConfig(steps=steps, seed=ctx.seed))
    retriever, summary = build_index(kb, ctx.path("index/x").parent, cfg)
    return Setup(
        retriever,
        read_queries(queries / "retrieval.jsonl"),
        read_queries(queries / "faithfulness.jsonl", faithfulness=True),
        summary,
    )


__all__ = ["Setup", "setup"]
