"""Phase 11: a byte-level BPE tokenizer in pure Python, trained on the verb corpus."""
