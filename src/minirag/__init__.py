"""Phase 29: the grammar-rule knowledge base, BM25, embedders and hybrid retrieval.

`minirag.Retriever` is the public entry point (the tutor builds on it); everything else is importable from its
module (`minirag.bm25`, `minirag.index`, `minirag.fusion`, ...).
"""

from minirag.retriever import Hit, Retriever

__all__ = ["Hit", "Retriever"]
