"""`lookup_rule`: the phase-29 retriever as a tool, so an explanation can cite the KB chunk it rests on.

The index is built in process from `data/kb/` with the hashing embedder (seeded, no training, well under a
second), not read from `artifacts/rag/`: the tutor must work on a fresh clone, and a stale saved index would
cite chunk ids the KB no longer has. Only ids the retriever returned are ever cited (`cited ⊆ retrieved`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final

from miniagent.tools.base import Tool, ToolError
from minirag.chunk import bpe_counter, chunk_rules
from minirag.embed import HashingEmbedder
from minirag.kb import load_rules
from minirag.retriever import Retriever

DEFAULT_K: Final = 3


@functools.cache
def kb_retriever(lang: str | None = None) -> Retriever:
    """The KB's chunks (one language's, or all) behind BM25 + hashed TF-IDF, built once per process.

    One retriever per language because the English and Spanish versions of a rule share its rule id, and
    the retriever shows each rule once: filtering a mixed ranking by language would lose the other half."""
    chunks = [c for c in chunk_rules(load_rules(), bpe_counter()) if lang in (None, c.lang)]
    embedder = HashingEmbedder()
    embedder.fit([c.indexed_text for c in chunks])
    return Retriever(chunks, embedder)


def lookup_rule(query: str, k: int = DEFAULT_K, lang: str | None = None) -> Mapping[str, Any]:
    """The top-k rules for `query` (each shown by its best chunk), optionally in one language."""
    hits = kb_retriever(lang).search(query, k=k, mode="hybrid")
    if not hits:
        raise ToolError("no_match", f"no KB rule matches {query!r}")
    return {
        "query": query,
        "hits": [
            {
                "chunk_id": h.chunk_id,
                "rule_id": h.rule_id,
                "lang": h.chunk.lang,
                "title": h.chunk.title,
                "text": h.chunk.text,
                "score": round(h.score, 6),
            }
            for h in hits
        ],
    }


LOOKUP_RULE: Final = Tool(
    "lookup_rule",
    "Retrieve the grammar rules (KB chunks, English and Spanish) that best match a query.",
    {
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 1, "maxLength": 280},
            "k": {"type": "integer", "minimum": 1, "maximum": 10},
            "lang": {"type": "string", "enum": ["en", "es"]},
        },
        "required": ["query"],
        "additionalProperties": False,
    },
    lookup_rule,
    {
        "type": "object",
        "properties": {"query": {"type": "string"}, "hits": {"type": "array"}},
        "required": ["hits"],
    },
)

__all__ = ["DEFAULT_K", "LOOKUP_RULE", "kb_retriever", "lookup_rule"]
