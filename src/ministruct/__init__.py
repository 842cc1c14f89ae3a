"""Phase 30: constrained decoding with regex and JSON-Schema logit masks."""
