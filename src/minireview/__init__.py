"""Phase 41: spaced-repetition schedulers (SM-2, FSRS) for review cards."""
