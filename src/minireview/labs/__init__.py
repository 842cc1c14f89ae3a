"""Phase 41 labs that need no server; `lynx_cortex.catalog` imports every module here."""
