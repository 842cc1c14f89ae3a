"""miniobserve's labs and break (phase 34); `lynx_cortex.catalog` imports every module here.

The labs instrument the tutor, so they import `miniagent`; the library modules above them import no package
of ours (the `observe-library` contract in pyproject.toml).
"""
