"""Optimisation: the pure step functions of phase 04 and the optimiser classes of phase 09 that apply them.

`sgd_step`, `momentum_step`, `adam_step`, `adamw_step` (`steps.py`) hold the update maths once; `SGD`, `Adam`,
`AdamW`, the LR scheduler wrappers, `zero_grad` and `clip_grad_norm_` (`optimizers.py`) only loop over
parameters and keep their state.
"""

from minigrad.optim.optimizers import (
    SGD,
    Adam,
    AdamW,
    LambdaLR,
    Optimizer,
    ScheduledLR,
    clip_grad_norm_,
    zero_grad,
)
from minigrad.optim.steps import OptState, adam_step, adamw_step, momentum_step, sgd_step

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "LambdaLR",
    "OptState",
    "Optimizer",
    "ScheduledLR",
    "adam_step",
    "adamw_step",
    "clip_grad_norm_",
    "momentum_step",
    "sgd_step",
    "zero_grad",
]
