"""minicorpus's labs and breaks (phase 12); `lynx_cortex.catalog` imports every module here."""
