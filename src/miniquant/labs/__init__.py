"""miniquant's labs and break (phase 26); `lynx_cortex.catalog` imports every module here."""
