"""minigrad's labs and breaks (phases 01-10); `lynx_cortex.catalog` imports every module here."""
