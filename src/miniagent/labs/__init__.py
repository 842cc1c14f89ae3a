"""miniagent's labs and break (phase 31); `lynx_cortex.catalog` imports every module here."""
