"""Labs and breaks of phases 18-19 (auto-imported by `lynx_cortex.catalog`)."""
