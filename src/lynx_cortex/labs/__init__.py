"""Phase 00's lab and break; importing this package registers them."""

from lynx_cortex.labs import env_check, hashseed_break

__all__ = ["env_check", "hashseed_break"]
