"""miniserve's labs and break (phase 33); `lynx_cortex.catalog` imports every module here."""
