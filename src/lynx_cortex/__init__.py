"""Phase 00 and the glue of every phase: the `lynx` CLI, seeding, run manifests and their diff,
the lab/break/phase registries, quizzes and the learner workspace.
"""
