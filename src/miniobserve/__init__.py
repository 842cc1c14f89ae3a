"""Phase 34: metrics, tracing, structured logs and cost tracking."""
