"""Phase 41 labs; `lynx_cortex.catalog` imports every module here."""
