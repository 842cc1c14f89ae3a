"""Phase 38: model registry, lineage, drift detection, traffic routing and CI gates."""
