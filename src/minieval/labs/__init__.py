"""minieval's labs and break (phase 20); `lynx_cortex.catalog` imports every module here."""
