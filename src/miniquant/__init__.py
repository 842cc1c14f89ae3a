"""Phase 26: INT8/INT4 quantisation, GPTQ, NF4 and a GGUF-like file format."""
