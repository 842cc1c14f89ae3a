"""Phases 23-25: device queries, bandwidth and roofline tools, fused kernels with NumPy fallbacks."""
