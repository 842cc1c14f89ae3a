"""Phases 18, 19, 35: batching, the training loop, checkpoints, inspection hooks and the
training dashboard.
"""
