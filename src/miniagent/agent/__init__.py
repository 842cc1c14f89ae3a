"""Phase 32: the ReAct agent — a planner decides, a dispatcher acts, a scratchpad remembers, a budget stops it."""
