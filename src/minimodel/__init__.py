"""Phases 13-17, 22, 27, 36: embeddings, n-gram and recurrent baselines, attention, positional
encodings and the MiniGPT built on `minigrad`.
"""
