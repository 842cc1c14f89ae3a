"""Phase 00's lab and break. Every module here is imported by `lynx_cortex.catalog`, which registers it."""
