"""`python -m lynx_cortex.cli …` is `lynx …` (how `lynx up` starts the tutor service as a child process)."""

from lynx_cortex.cli import main

main()
