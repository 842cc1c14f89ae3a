"""Phase 11 labs and break; `lynx_cortex.catalog` imports every module here."""
