"""ministruct's labs and break (phase 30); `lynx_cortex.catalog` imports every module here."""
