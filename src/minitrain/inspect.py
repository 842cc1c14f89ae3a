"""Phase 19: look inside a training run without changing it — forward/backward hooks and streaming statistics.

`Inspector.watch(module, name)` wraps that module's `forward` (an instance attribute shadowing the class
method, removed again by `HookHandle.remove()`), so the model's code is untouched. Each call streams the
output's values into a `Welford` accumulator (mean, variance and mean |x| without keeping any array); after
`backward()` the trainer calls `after_backward()` and the same is done for the gradient that reached each
watched output. `watch_units` counts, per hidden unit, how often it is (near) zero — dead FFN neurons — and
`watch_attention` reads an attention module's `last_weights` to count heads whose attention has collapsed
onto one key. `snapshot()` is plain JSON floats; the trainer logs one per evaluation, then `reset()`s.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from minigrad.nn.module import Module
from minigrad.tensor import Tensor

DEAD_EPS = 1e-3  # |h| below this counts as "off"
DEAD_FRACTION = 0.99  # a unit (or head) off on more than this share of positions (queries) is dead


@dataclass
class Welford:
    """Streaming count/mean/M2 (Welford; batches merged with Chan et al.'s formula), plus mean |x|."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    abs_sum: float = 0.0

    def update(self, values: npt.ArrayLike) -> None:
        x = np.asarray(values, dtype=np.float64).ravel()
        n = x.size
        if n == 0:
            return
        batch_mean = float(x.mean())
        batch_m2 = float(np.square(x - batch_mean).sum())
        total = self.count + n
        delta = batch_mean - self.mean
        self.mean += delta * n / total
        self.m2 += batch_m2 + delta * delta * self.count * n / total
        self.count = total
        self.abs_sum += float(np.abs(x).sum())

    @property
    def variance(self) -> float:
        """Sample variance (n − 1), nan below two samples."""
        return self.m2 / (self.count - 1) if self.count > 1 else math.nan

    @property
    def mean_abs(self) -> float:
        return self.abs_sum / self.count if self.count else math.nan

    def to_dict(self) -> dict[str, float]:
        return {
            "count": float(self.count),
            "mean": float(self.mean),
            "std": math.sqrt(self.variance) if self.count > 1 else math.nan,
            "mean_abs": self.mean_abs,
        }


@dataclass
class UnitCounter:
    """Per-unit count of positions where the (transformed) activation is below `DEAD_EPS` in magnitude."""

    transform: Callable[[npt.NDArray[Any]], npt.NDArray[Any]]
    off: npt.NDArray[np.int64] | None = None
    positions: int = 0

    def update(self, values: npt.NDArray[Any]) -> None:
        h = self.transform(np.asarray(values)).reshape(-1, values.shape[-1])  # (N, units)
        counts = (np.abs(h) < DEAD_EPS).sum(axis=0).astype(np.int64)  # (units,)
        self.off = counts if self.off is None else self.off + counts
        self.positions += h.shape[0]

    def dead(self) -> int:
        if self.off is None or self.positions == 0:
            return 0
        return int((self.off / self.positions > DEAD_FRACTION).sum())


@dataclass
class HeadCounter:
    """Per-head count of queries whose attention entropy is below log 2 (less than two keys' worth)."""

    low: npt.NDArray[np.int64] | None = None
    queries: int = 0

    def update(self, weights: npt.NDArray[Any]) -> None:
        w = np.asarray(weights, dtype=np.float64)  # (B, H, T, T)
        entropy = -(w * np.log(np.clip(w, 1e-30, None))).sum(axis=-1)  # (B, H, T)
        low = (entropy < math.log(2)).sum(axis=(0, 2)).astype(np.int64)  # (H,)
        self.low = low if self.low is None else self.low + low
        self.queries += w.shape[0] * w.shape[2]

    def dead(self) -> int:
        if self.low is None or self.queries == 0:
            return 0
        return int((self.low / self.queries > DEAD_FRACTION).sum())


@dataclass
class HookHandle:
    """Undo one `watch*` call: the module's own `forward` is visible again."""

    module: Module
    inspector: Inspector
    name: str
    removed: bool = False

    def remove(self) -> None:
        if not self.removed:
            if "forward" in self.module.__dict__:
                del self.module.forward
            self.inspector._forget(self.name)
            self.removed = True


def gelu_tanh(x: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """The tanh GELU of the FFN, applied to the first linear layer's output to get the hidden units."""
    x64 = np.asarray(x, dtype=np.float64)
    return 0.5 * x64 * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x64 + 0.044715 * x64**3)))


@dataclass
class Inspector:
    """Holds the hooks and their statistics; see the module docstring."""

    activations: dict[str, Welford] = field(default_factory=dict)
    gradients: dict[str, Welford] = field(default_factory=dict)
    units: dict[str, UnitCounter] = field(default_factory=dict)
    heads: dict[str, HeadCounter] = field(default_factory=dict)
    _pending: list[tuple[str, Tensor]] = field(default_factory=list)

    def _wrap(self, module: Module, name: str, record: Callable[[Tensor], None]) -> HookHandle:
        if "forward" in module.__dict__:
            raise ValueError(f"module {name!r} is already watched; remove its handle first")
        original = type(module).forward.__get__(module)

        def hooked(*args: Any, **kwargs: Any) -> Any:
            out = original(*args, **kwargs)
            if isinstance(out, Tensor):
                record(out)
            return out

        object.__setattr__(module, "forward", hooked)
        return HookHandle(module, self, name)

    def watch(self, module: Module, name: str) -> HookHandle:
        """Stream the module's output values (forward) and the gradient reaching them (backward)."""
        self.activations[name] = Welford()
        self.gradients[name] = Welford()

        def record(out: Tensor) -> None:
            stats = self.activations.get(name)
            if stats is not None:
                stats.update(out.data)
                if out.requires_grad:
                    self._pending.append((name, out))

        return self._wrap(module, name, record)

    def watch_units(
        self,
        module: Module,
        name: str,
        transform: Callable[[npt.NDArray[Any]], npt.NDArray[Any]] = gelu_tanh,
    ) -> HookHandle:
        """Count dead hidden units of `transform(module output)` (default: GELU of an FFN's first layer)."""
        self.units[name] = UnitCounter(transform)

        def record(out: Tensor) -> None:
            counter = self.units.get(name)
            if counter is not None:
                counter.update(out.data)

        return self._wrap(module, name, record)

    def watch_attention(self, module: Module, name: str) -> HookHandle:
        """Count collapsed heads from the module's `last_weights` (B, H, T, T) after each call."""
        if not hasattr(module, "last_weights"):
            raise TypeError(f"{name!r} ({type(module).__name__}) keeps no last_weights to inspect")
        self.heads[name] = HeadCounter()

        def record(out: Tensor) -> None:
            counter = self.heads.get(name)
            weights = getattr(module, "last_weights", None)
            if counter is not None and weights is not None:
                counter.update(weights)

        return self._wrap(module, name, record)

    def _forget(self, name: str) -> None:
        for table in (self.activations, self.gradients, self.units, self.heads):
            table.pop(name, None)
        self._pending = [(n, t) for n, t in self._pending if n != name]

    def after_backward(self) -> None:
        """Fold the gradients of this step's watched outputs into their statistics, then drop the refs."""
        for name, out in self._pending:
            stats = self.gradients.get(name)
            if stats is not None and out.grad is not None:
                stats.update(out.grad)
        self._pending.clear()

    def snapshot(self) -> dict[str, Any]:
        return {
            "activations": {n: s.to_dict() for n, s in self.activations.items()},
            "gradients": {n: s.to_dict() for n, s in self.gradients.items()},
            "dead_units": {n: c.dead() for n, c in self.units.items()},
            "units": {
                n: int(c.off.size) if c.off is not None else 0 for n, c in self.units.items()
            },
            "dead_heads": {n: c.dead() for n, c in self.heads.items()},
        }

    def reset(self) -> None:
        for name in self.activations:
            self.activations[name] = Welford()
            self.gradients[name] = Welford()
        for name, counter in self.units.items():
            self.units[name] = UnitCounter(counter.transform)
        for name in self.heads:
            self.heads[name] = HeadCounter()
        self._pending.clear()


def instrument_minigpt(inspector: Inspector, model: Module) -> list[HookHandle]:
    """The dashboard's standard probes on a MiniGPT: embeddings, each block, the final norm, FFNs, heads."""
    handles: list[HookHandle] = []
    children = dict(model.named_modules())
    for name in ("tok_emb", "norm_f"):
        if name in children:
            handles.append(inspector.watch(children[name], name))
    for name, module in children.items():
        parts = name.split(".")
        if len(parts) == 2 and parts[0] == "blocks":
            handles.append(inspector.watch(module, f"block_{parts[1]}"))
        elif name.endswith("ffn.fc1"):
            handles.append(inspector.watch_units(module, f"ffn_{parts[1]}"))
        elif name.endswith(".attn") and hasattr(module, "last_weights"):
            handles.append(inspector.watch_attention(module, f"attn_{parts[1]}"))
    return handles


__all__ = [
    "DEAD_EPS",
    "DEAD_FRACTION",
    "HookHandle",
    "Inspector",
    "Welford",
    "gelu_tanh",
    "instrument_minigpt",
]
