"""Phase 41: password hashing and column encryption for the portal."""
