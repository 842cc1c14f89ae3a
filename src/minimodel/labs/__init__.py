"""minimodel's labs and breaks (phases 13-17 and 27); `lynx_cortex.catalog` imports every module here."""
