"""What the phase-29 labs share: a freshly built index over the KB and the labelled query sets.

The query sets come split into `dev` (where settings were chosen) and `test` (what the docs report) when the
query folder has a `split.json`; a folder without one (the fixture) is a single `all` split.

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
from minirag.split import load_split, split_queries


@dataclass(frozen=True)
class Setup:
    retriever: Retriever
    retrieval: dict[str, list[Query]]  # split name -> queries
    faithfulness: dict[str, list[Query]]
    training: dict[str, object]


def setup(ctx: LabContext, steps: int) -> Setup:
    kb = Path(ctx.config.get("kb") or kb_dir())
    queries = Path(ctx.config.get("queries") or kb / "queries")
    ctx.config.update({"kb": str(kb), "queries": str(queries)})
    cfg = BuildConfig(encoder=BiEncoderConfig(steps=steps, seed=ctx.seed))
    retriever, summary = build_index(kb, ctx.path("index/x").parent, cfg)
    split = load_split(queries)
    return Setup(
        retriever,
        split_queries(
            read_queries(queries / "retrieval.jsonl"), split["retrieval"] if split else None
        ),
        split_queries(
            read_queries(queries / "faithfulness.jsonl", faithfulness=True),
            split["faithfulness"] if split else None,
        ),
        summary,
    )


__all__ = ["Setup", "setup"]
