"""Phases 09-10: modules on top of `minigrad.tensor` — `Parameter`, `Module`, layers, norms, residuals.

`minigrad.init` holds the initialisers and `minigrad.optim` the optimiser classes that update a
module's parameters.
"""

from minigrad.nn.layers import (
    GELU,
    CrossEntropyLoss,
    Dropout,
    Embedding,
    Identity,
    Linear,
    ModuleList,
    MSELoss,
    ReLU,
    Residual,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from minigrad.nn.module import Module, Parameter, StateDict
from minigrad.nn.norm import BatchNorm1d, LayerNorm, RMSNorm

__all__ = [
    "GELU",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Identity",
    "LayerNorm",
    "Linear",
    "MSELoss",
    "Module",
    "ModuleList",
    "Parameter",
    "RMSNorm",
    "ReLU",
    "Residual",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "StateDict",
    "Tanh",
]
