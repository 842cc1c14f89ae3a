"""minirag's labs and break (phase 29); `lynx_cortex.catalog` imports every module here."""
