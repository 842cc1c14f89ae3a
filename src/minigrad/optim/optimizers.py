"""Phase 09: optimiser classes that hold parameters and per-parameter memory, and apply the step functions.

The update maths lives once, in the pure step functions of `minigrad.optim.steps` (phase 04); a class here only
loops over its parameters, passes each one's gradient and state dict to the step function, and stores what
comes back. Semantics and state keys are PyTorch's (`momentum_buffer`, `exp_avg`, `exp_avg_sq`, `step`), so
`SGD`, `Adam` and `AdamW` track `torch.optim` step for step (the parity tests check 100 steps to 1e-5).

Parameters can be given as one iterable or as PyTorch-style groups (`[{"params": decay, "weight_decay":
0.1}, {"params": no_decay, "weight_decay": 0.0}]`), which is how phase 18 decays only the 2-D weights.
Updates are out of place (`p.data` is rebound to a new array), never inside a recorded graph.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from minigrad.optim.steps import OptState, adam_step, adamw_step, momentum_step, sgd_step
from minigrad.schedules import Schedule, make_schedule
from minigrad.tensor import Tensor, zero_grad

ParamsArg = Iterable[Tensor] | Iterable[Mapping[str, Any]]


def clip_grad_norm_(
    params: Iterable[Tensor], max_norm: float, *, error_if_nonfinite: bool = False
) -> float:
    """Scale all gradients together so their global L2 norm is at most `max_norm`; return the norm before.

    Clipping the global norm (not each tensor) keeps the update's direction and only shortens it, which is
    what a loss spike needs. The factor is `max_norm / (norm + 1e-6)`, PyTorch's.
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm}")
    grads = [(p, p.grad) for p in params if p.grad is not None]
    squares = [float(np.sum(np.square(g, dtype=np.float64))) for _, g in grads]
    total = math.sqrt(math.fsum(squares))
    if not math.isfinite(total):
        if error_if_nonfinite:
            raise ValueError(
                f"the global gradient norm is {total}: a nan/inf reached the gradients"
            )
        return total
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for p, g in grads:
            p.grad = (g * coef).astype(g.dtype, copy=False)
    return total


class Optimizer:
    """Parameter groups, per-parameter state, and the loop that feeds both to a step function."""

    defaults: dict[str, Any]
    param_groups: list[dict[str, Any]]
    state: dict[int, OptState]

    def __init__(self, params: ParamsArg, defaults: Mapping[str, Any]) -> None:
        self.defaults = dict(defaults)
        if not self.defaults.get("lr", 0.0) >= 0:
            raise ValueError(f"lr must be >= 0, got {self.defaults['lr']}")
        items = list(params)
        if not items:
            raise ValueError("optimizer got an empty parameter list (did a generator run out?)")
        groups = items if isinstance(items[0], Mapping) else [{"params": items}]
        self.param_groups = []
        self.state = {}
        seen: set[int] = set()
        for g_index, group in enumerate(groups):
            if not isinstance(group, Mapping) or "params" not in group:
                raise TypeError(
                    f"parameter group {g_index} must be a mapping with a 'params' list, got "
                    f"{type(group).__name__}"
                )
            unknown = set(group) - set(self.defaults) - {"params"}
            if unknown:
                raise ValueError(
                    f"parameter group {g_index} has unknown options {sorted(unknown)}; "
                    f"this optimizer takes {sorted(self.defaults)}"
                )
            plist = list(group["params"])
            for p in plist:
                if not isinstance(p, Tensor):
                    raise TypeError(
                        f"optimizer parameters must be Tensors, got {type(p).__name__} in group {g_index}"
                    )
                if id(p) in seen:
                    raise ValueError("a parameter appears more than once in the optimizer's groups")
                seen.add(id(p))
            self.param_groups.append({**self.defaults, **group, "params": plist})
        for group in self.param_groups:
            group.setdefault("initial_lr", group["lr"])

    def _indexed(self) -> Iterable[tuple[int, dict[str, Any], Tensor]]:
        index = 0
        for group in self.param_groups:
            for p in group["params"]:
                yield index, group, p
                index += 1

    def _update(
        self,
        param: npt.NDArray[Any],
        grad: npt.NDArray[Any],
        state: OptState,
        group: dict[str, Any],
    ) -> tuple[npt.NDArray[Any], OptState]:
        raise NotImplementedError

    def step(self) -> None:
        """One update of every parameter that has a gradient; parameters without one keep their state."""
        for index, group, p in self._indexed():
            if p.grad is None:
                continue
            new, state = self._update(p.data, p.grad, self.state.get(index, {}), group)
            p.data = new.astype(p.data.dtype, copy=False)
            self.state[index] = state

    def zero_grad(self) -> None:
        for _, _, p in self._indexed():
            p.grad = None

    @property
    def params(self) -> list[Tensor]:
        return [p for _, _, p in self._indexed()]

    def state_dict(self) -> dict[str, Any]:
        """Hyper-parameters per group and copies of every state array, keyed by parameter position."""
        groups = []
        for index_start, group in self._group_offsets():
            entry = {k: v for k, v in group.items() if k != "params"}
            entry["params"] = list(range(index_start, index_start + len(group["params"])))
            groups.append(entry)
        state = {
            index: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in st.items()}
            for index, st in self.state.items()
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what `state_dict` produced, onto an optimizer built over the same parameter layout."""
        groups = state_dict.get("param_groups")
        if not isinstance(groups, list) or len(groups) != len(self.param_groups):
            raise ValueError(
                f"optimizer state has {len(groups) if isinstance(groups, list) else 'no'} parameter "
                f"groups, this optimizer has {len(self.param_groups)}"
            )
        for i, (saved, group) in enumerate(zip(groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"parameter group {i} holds {len(saved['params'])} parameters in the saved state "
                    f"but {len(group['params'])} here"
                )
        params = self.params
        new_state: dict[int, OptState] = {}
        for key, st in dict(state_dict.get("state", {})).items():
            index = int(key)
            if not 0 <= index < len(params):
                raise ValueError(
                    f"optimizer state refers to parameter {index}, which does not exist"
                )
            restored: OptState = {}
            for name, value in st.items():
                if isinstance(value, np.ndarray | list):
                    arr = np.array(value, dtype=params[index].dtype)
                    if arr.shape != params[index].shape:
                        raise ValueError(
                            f"optimizer state {name!r} of parameter {index} has shape {arr.shape}, "
                            f"the parameter has {params[index].shape}"
                        )
                    restored[name] = arr
                else:
                    restored[name] = int(value)
            new_state[index] = restored
        for saved, group in zip(groups, self.param_groups, strict=True):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = new_state

    def _group_offsets(self) -> list[tuple[int, dict[str, Any]]]:
        out, start = [], 0
        for group in self.param_groups:
            out.append((start, group))
            start += len(group["params"])
        return out

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v}" for k, v in self.defaults.items())
        sizes = [len(g["params"]) for g in self.param_groups]
        return f"{type(self).__name__}({hyper}; groups of {sizes} parameters)"


class SGD(Optimizer):
    """θ ← θ − η·g, or with momentum v ← μv + (1 − dampening)g, θ ← θ − η·v (PyTorch's form).

    The first momentum step stores the raw gradient; `nesterov` looks ahead (θ ← θ − η(g + μv)).
    `weight_decay` is L2 folded into the gradient.
    """

    def __init__(
        self,
        params: ParamsArg,
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov momentum needs momentum > 0 and dampening == 0")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        super().__init__(
            params,
            {
                "lr": lr,
                "momentum": momentum,
                "dampening": dampening,
                "nesterov": nesterov,
                "weight_decay": weight_decay,
            },
        )

    def _update(
        self,
        param: npt.NDArray[Any],
        grad: npt.NDArray[Any],
        state: OptState,
        group: dict[str, Any],
    ) -> tuple[npt.NDArray[Any], OptState]:
        if group["momentum"] == 0:
            return sgd_step(param, grad, state, lr=group["lr"], weight_decay=group["weight_decay"])
        return momentum_step(
            param,
            grad,
            state,
            lr=group["lr"],
            momentum=group["momentum"],
            dampening=group["dampening"],
            nesterov=group["nesterov"],
            weight_decay=group["weight_decay"],
        )


class Adam(Optimizer):
    """Adam with bias correction; `weight_decay` is coupled L2 (use `AdamW` for decoupled decay)."""

    def __init__(
        self,
        params: ParamsArg,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(
            params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay}
        )

    def _update(
        self,
        param: npt.NDArray[Any],
        grad: npt.NDArray[Any],
        state: OptState,
        group: dict[str, Any],
    ) -> tuple[npt.NDArray[Any], OptState]:
        return adam_step(
            param,
            grad,
            state,
            lr=group["lr"],
            betas=group["betas"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
        )


class AdamW(Adam):
    """Adam with decoupled weight decay θ ← θ(1 − ηλ); with `weight_decay=0` it is exactly `Adam`."""

    def __init__(
        self,
        params: ParamsArg,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def _update(
        self,
        param: npt.NDArray[Any],
        grad: npt.NDArray[Any],
        state: OptState,
        group: dict[str, Any],
    ) -> tuple[npt.NDArray[Any], OptState]:
        return adamw_step(
            param,
            grad,
            state,
            lr=group["lr"],
            betas=group["betas"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
        )


class LambdaLR:
    """Set each group's lr to `initial_lr · factor(t)` where t counts `step()` calls (PyTorch's LambdaLR).

    Call `scheduler.step()` after `optimizer.step()`. The lr for the first update is `factor(0)`, so a
    warmup schedule really starts at 0.
    """

    def __init__(self, optimizer: Optimizer, factor: Callable[[int], float]) -> None:
        self.optimizer = optimizer
        self.factor = factor
        self.last_step = 0
        self._apply()

    def _apply(self) -> None:
        f = float(self.factor(self.last_step))
        if not math.isfinite(f) or f < 0:
            raise ValueError(f"schedule factor at step {self.last_step} is {f}; it must be >= 0")
        for group in self.optimizer.param_groups:
            group["lr"] = group["initial_lr"] * f

    def step(self) -> None:
        self.last_step += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        return [float(group["lr"]) for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, int]:
        return {"last_step": self.last_step}

    def load_state_dict(self, state: Mapping[str, int]) -> None:
        self.last_step = int(state["last_step"])
        self._apply()


class ScheduledLR(LambdaLR):
    """A named schedule of `minigrad.schedules` as an lr multiplier (its η₀ is fixed to 1).

    `ScheduledLR(opt, "warmup_cosine", warmup_steps=100, total_steps=2000, eta_min=0.1)` warms the lr up
    from 0 to each group's base lr, then decays it to 10 % of that.
    """

    def __init__(self, optimizer: Optimizer, name: str, **params: float) -> None:
        if "eta_0" in params:
            raise ValueError(
                "ScheduledLR scales each group's own lr: set the peak with the optimizer's lr, not eta_0"
            )
        self.name = name
        self.schedule: Schedule = make_schedule(name, eta_0=1.0, **params)
        super().__init__(optimizer, self.schedule)


__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "LambdaLR",
    "Optimizer",
    "ScheduledLR",
    "clip_grad_norm_",
    "zero_grad",
]
