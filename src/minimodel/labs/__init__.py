"""minimodel's labs and breaks (phases 13-16); `lynx_cortex.catalog` imports every module here."""
