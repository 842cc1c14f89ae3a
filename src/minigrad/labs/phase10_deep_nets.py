"""Phase 10 building blocks shared by its labs: the toy task, a configurable deep MLP, a training loop.

The toy task is the seed's: Gaussian inputs, label 1 when the sum of the first ten coordinates is positive.
It is easy (a linear rule), so whether a deep network learns it depends only on how signals and gradients
survive the depth: exactly what initialisation, normalisation and residual connections are about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from lynx_cortex.progress import track
from minigrad import init
from minigrad.functional import cross_entropy
from minigrad.nn import GELU, BatchNorm1d, LayerNorm, Linear, Module, ModuleList, ReLU, RMSNorm
from minigrad.optim import Optimizer
from minigrad.tensor import Tensor

InitName = Literal["uniform", "xavier", "kaiming"]
NormName = Literal["none", "layernorm", "rmsnorm", "batchnorm"]
Array = npt.NDArray[Any]


def toy_task(
    n: int, d: int, rng: np.random.Generator, dtype: npt.DTypeLike = np.float32
) -> tuple[Array, Array]:
    """(x, y): x ~ N(0, I) of shape (n, d), y = 1[sum(x[:, :10]) > 0] of shape (n,)."""
    x = rng.normal(size=(n, d)).astype(dtype)  # (n, d)
    y = (x[:, : min(10, d)].sum(axis=1) > 0).astype(np.int64)  # (n,)
    return x, y


def init_linear(layer: Linear, name: InitName, rng: np.random.Generator) -> None:
    """The three inits of the ablation: U(-0.5, 0.5), Xavier N(0, 1/n_in), Kaiming N(0, 2/n_in); bias 0."""
    if name == "uniform":
        init.uniform_(layer.weight, rng, -0.5, 0.5)
    elif name == "xavier":
        init.kaiming_normal_(layer.weight, rng, nonlinearity="linear")  # σ² = 1/n_in
    elif name == "kaiming":
        init.kaiming_normal_(layer.weight, rng, nonlinearity="relu")  # σ² = 2/n_in
    else:
        raise ValueError(f"unknown init {name!r}; choose uniform, xavier or kaiming")
    if layer.bias is not None:
        init.zeros_(layer.bias)


def make_norm(name: NormName, d: int) -> Module | None:
    if name == "none":
        return None
    if name == "layernorm":
        return LayerNorm(d)
    if name == "rmsnorm":
        return RMSNorm(d)
    if name == "batchnorm":
        return BatchNorm1d(d)
    raise ValueError(f"unknown norm {name!r}; choose none, layernorm, rmsnorm or batchnorm")


class DeepMLP(Module):
    """`depth` Linear layers of width `width`, each followed by [norm] then ReLU, then a linear head."""

    def __init__(
        self,
        d_in: int,
        width: int,
        depth: int,
        classes: int,
        *,
        init_name: InitName,
        norm: NormName,
        rng: np.random.Generator,
    ) -> None:
        super().__init__()
        self.layers = ModuleList(
            Linear(d_in if i == 0 else width, width, rng=rng) for i in range(depth)
        )
        for layer in self.layers:
            assert isinstance(layer, Linear)  # noqa: S101 - narrows the type for mypy
            init_linear(layer, init_name, rng)
        norms = [make_norm(norm, width) for _ in range(depth)]
        self.norms = ModuleList(n for n in norms if n is not None)
        self.act = ReLU()
        self.head = Linear(width, classes, rng=rng)

    def forward(self, x: Tensor) -> Tensor:
        norms = list(self.norms)
        for i, layer in enumerate(self.layers):
            x = layer(x)  # (B, width)
            if norms:
                x = norms[i](x)  # (B, width)
            x = self.act(x)  # (B, width)
        out: Tensor = self.head(x)  # (B, classes)
        return out


class Block(Module):
    """Pre-norm MLP block: x → RMSNorm → Linear(d, 4d) → GELU → Linear(4d, d), plus x if `residual`."""

    def __init__(self, d: int, *, residual: bool, rng: np.random.Generator) -> None:
        super().__init__()
        self.residual = residual
        self.norm = RMSNorm(d)
        self.fc1 = Linear(d, 4 * d, rng=rng)
        self.act = GELU()
        self.fc2 = Linear(4 * d, d, rng=rng)

    def forward(self, x: Tensor) -> Tensor:
        h: Tensor = self.fc2(self.act(self.fc1(self.norm(x))))  # (B, d)
        out: Tensor = x + h if self.residual else h  # (B, d)
        return out


class DeepResidualMLP(Module):
    """Input projection (`layers[0]`, "layer 1"), `depth` blocks, final RMSNorm, linear head."""

    def __init__(
        self,
        d_in: int,
        width: int,
        depth: int,
        classes: int,
        *,
        residual: bool,
        rng: np.random.Generator,
    ) -> None:
        super().__init__()
        self.layers = ModuleList([Linear(d_in, width, rng=rng)])
        self.blocks = ModuleList(Block(width, residual=residual, rng=rng) for _ in range(depth))
        self.final_norm = RMSNorm(width)
        self.head = Linear(width, classes, rng=rng)

    def forward(self, x: Tensor) -> Tensor:
        h: Tensor = self.layers[0](x)  # (B, width)
        for block in self.blocks:
            h = block(h)  # (B, width)
        out: Tensor = self.head(self.final_norm(h))  # (B, classes)
        return out


def train_steps(
    model: Module,
    opt: Optimizer,
    data: tuple[Array, Array],
    *,
    steps: int,
    batch: int,
    rng: np.random.Generator,
    probe: Callable[[], float] | None = None,
) -> dict[str, list[float]]:
    """Minibatch training; records the loss (nan once it diverged) and `probe()` after each backward."""
    x, y = data
    losses: list[float] = []
    probes: list[float] = []
    for _ in track(range(steps), desc="train", unit="step"):
        idx = rng.integers(0, len(x), size=batch)  # (batch,)
        opt.zero_grad()
        with np.errstate(all="ignore"):
            loss = cross_entropy(model(Tensor(x[idx])), y[idx])
            loss.backward()
            value = loss.item()
            if probe is not None:
                probes.append(probe())
            if not np.isfinite(value):
                losses.extend([float("nan")] * (steps - len(losses)))
                break
            opt.step()
        losses.append(value)
    return {"loss": losses, "probe": probes}


def accuracy(model: Module, data: tuple[Array, Array]) -> float:
    from minigrad.tensor import no_grad

    x, y = data
    with no_grad(), np.errstate(all="ignore"):
        pred = np.argmax(model(Tensor(x)).data, axis=-1)  # (N,)
    return float(np.mean(pred == y))
