"""Phase 29: the grammar-rule knowledge base, BM25, embedders and hybrid retrieval."""
