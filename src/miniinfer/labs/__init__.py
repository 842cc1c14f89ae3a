"""miniinfer's labs (phase 21); `lynx_cortex.catalog` imports every module here."""
