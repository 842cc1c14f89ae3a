"""minimodel's labs and breaks (phases 13-17); `lynx_cortex.catalog` imports every module here."""
