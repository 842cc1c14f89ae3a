"""Phase 41: the learner portal web application (runs without any model)."""
