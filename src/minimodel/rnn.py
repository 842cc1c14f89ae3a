"""Recurrent cells — vanilla RNN, GRU, LSTM — on `minigrad`, batched and trainable.

Each cell maps (x_t (B, D), state) → new state; `run` unrolls a cell over a (B, T, D) sequence and keeps every
hidden state, so backpropagation through time is just `loss.backward()` on the unrolled graph and
`‖∂L/∂h_t‖` can be read from each `h_t.grad`. The parameterisation follows PyTorch's (`x W_x + b_x + h W_h +
b_h`, gates in PyTorch's order), so PyTorch's cells are exact oracles:

- RNN:  h' = tanh(x W_x + b_x + h W_h + b_h)
- GRU:  r, z = σ(·); n = tanh(x W_xn + b_xn + r ⊙ (h W_hn + b_hn)); h' = (1 − z) ⊙ n + z ⊙ h
- LSTM: i, f, o = σ(·), g = tanh(·); c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c')

The LSTM's `gate` argument exists for phase 14's break: with the identity instead of σ the gates leave (0, 1)
and the cell state can grow without bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np

from minigrad.nn import Module, Parameter
from minigrad.tensor import Tensor, stack

State = Tensor | tuple[Tensor, Tensor]
CellKind = Literal["rnn", "gru", "lstm"]


def _sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


class _Cell(Module):
    """Shared parameters: input and hidden projections to `gates · H` features, uniform(±1/√H) like PyTorch."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, *, rng: np.random.Generator) -> None:
        super().__init__()
        if input_size < 1 or hidden_size < 1:
            raise ValueError(
                f"sizes must be positive, got input={input_size}, hidden={hidden_size}"
            )
        self.input_size, self.hidden_size = input_size, hidden_size
        bound = 1.0 / math.sqrt(hidden_size)
        width = self.gates * hidden_size

        def uniform(*shape: int) -> Parameter:
            return Parameter(rng.uniform(-bound, bound, shape))

        self.w_x = uniform(input_size, width)  # (D, G·H)
        self.w_h = uniform(hidden_size, width)  # (H, G·H)
        self.b_x = uniform(width)  # (G·H,)
        self.b_h = uniform(width)  # (G·H,)

    def zeros(self, batch: int) -> Tensor:
        return Tensor(np.zeros((batch, self.hidden_size)))  # (B, H)

    def _check(self, x: Tensor) -> None:
        if x.ndim != 2 or x.shape[1] != self.input_size:
            raise ValueError(f"cell input must be (B, {self.input_size}), got {x.shape}")

    def _split(self, z: Tensor) -> list[Tensor]:
        h = self.hidden_size
        return [z[:, i * h : (i + 1) * h] for i in range(self.gates)]  # each (B, H)


class RNNCell(_Cell):
    gates = 1

    def forward(self, x: Tensor, h: Tensor) -> Tensor:
        self._check(x)
        return (x @ self.w_x + self.b_x + h @ self.w_h + self.b_h).tanh()  # (B, H)


class GRUCell(_Cell):
    gates = 3  # r, z, n

    def forward(self, x: Tensor, h: Tensor) -> Tensor:
        self._check(x)
        xr, xz, xn = self._split(x @ self.w_x + self.b_x)  # each (B, H)
        hr, hz, hn = self._split(h @ self.w_h + self.b_h)  # each (B, H)
        r = (xr + hr).sigmoid()  # (B, H)
        z = (xz + hz).sigmoid()  # (B, H)
        n = (xn + r * hn).tanh()  # (B, H)
        return (1.0 - z) * n + z * h  # (B, H)


class LSTMCell(_Cell):
    gates = 4  # i, f, g, o

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        rng: np.random.Generator,
        gate: Callable[[Tensor], Tensor] = _sigmoid,
    ) -> None:
        super().__init__(input_size, hidden_size, rng=rng)
        self.gate = gate

    def zeros_state(self, batch: int) -> tuple[Tensor, Tensor]:
        return self.zeros(batch), self.zeros(batch)  # (B, H), (B, H)

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        self._check(x)
        h, c = state  # (B, H), (B, H)
        zi, zf, zg, zo = self._split(
            x @ self.w_x + self.b_x + h @ self.w_h + self.b_h
        )  # each (B, H)
        i, f, o = self.gate(zi), self.gate(zf), self.gate(zo)  # each (B, H)
        c_new = f * c + i * zg.tanh()  # (B, H)
        return o * c_new.tanh(), c_new  # (B, H), (B, H)


Cell = RNNCell | GRUCell | LSTMCell


def make_cell(
    kind: CellKind, input_size: int, hidden_size: int, *, rng: np.random.Generator
) -> Cell:
    cells: dict[str, type[RNNCell] | type[GRUCell] | type[LSTMCell]] = {
        "rnn": RNNCell,
        "gru": GRUCell,
        "lstm": LSTMCell,
    }
    if kind not in cells:
        raise ValueError(f"cell kind must be one of {', '.join(cells)}, got {kind!r}")
    return cells[kind](input_size, hidden_size, rng=rng)


def run(cell: Cell, xs: Tensor) -> tuple[Tensor, list[Tensor], list[Tensor]]:
    """Unroll over xs (B, T, D): outputs (B, T, H), every hidden state h_1..h_T, and (LSTM) every cell state.

    The returned per-step tensors are nodes of the graph, so after a backward pass `h_t.grad` is ∂L/∂h_t.
    """
    if xs.ndim != 3:
        raise ValueError(f"run needs a (B, T, D) sequence, got shape {xs.shape}")
    batch, length = xs.shape[0], xs.shape[1]
    hs: list[Tensor] = []
    cs: list[Tensor] = []
    if isinstance(cell, LSTMCell):
        h, c = cell.zeros_state(batch)  # (B, H), (B, H)
        for t in range(length):
            h, c = cell.forward(xs[:, t, :], (h, c))  # (B, H), (B, H)
            hs.append(h)
            cs.append(c)
    else:
        h = cell.zeros(batch)  # (B, H)
        for t in range(length):
            h = cell.forward(xs[:, t, :], h)  # (B, H)
            hs.append(h)
    return stack(hs, axis=1), hs, cs  # (B, T, H)


def gradient_norms_through_time(
    kind: CellKind, *, length: int, input_size: int, hidden_size: int, rng: np.random.Generator
) -> list[float]:
    """‖∂L/∂h_t‖ for t = 1..T when the loss (sum of the last state) only sees the final step."""
    cell = make_cell(kind, input_size, hidden_size, rng=rng)
    xs = Tensor(rng.standard_normal((1, length, input_size)))  # (1, T, D)
    _, hs, _ = run(cell, xs)
    hs[-1].sum().backward()
    return [float(np.linalg.norm(h.grad)) if h.grad is not None else 0.0 for h in hs]


__all__ = [
    "Cell",
    "CellKind",
    "GRUCell",
    "LSTMCell",
    "RNNCell",
    "gradient_norms_through_time",
    "make_cell",
    "run",
]
