"""minituner's labs (phase 28); `lynx_cortex.catalog` imports every module here."""
