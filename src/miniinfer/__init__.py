"""Phases 21-22: sampling strategies and generation with a KV cache."""
