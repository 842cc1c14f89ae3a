"""Phases 01-10: numerics, linear algebra, probability, scalar and tensor autograd, modules,
initialisation and optimisers, all on NumPy so every gradient can be read and checked.
"""
