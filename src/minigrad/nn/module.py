"""Phase 09: `Parameter` and `Module`, the bookkeeping that turns a pile of tensors into a model.

A `Module` finds its learnable tensors by watching attribute assignment: `self.fc1 = Linear(...)` registers a
child module, `self.weight = Parameter(...)` registers a parameter, `self.register_buffer("running_mean", a)`
registers state that is saved but never trained. Everything else (`parameters()`, `state_dict()`, `train()`,
`zero_grad()`) is a walk over those three registries in insertion order, so the order of parameters, and
therefore of optimiser state, is the order in which `__init__` assigned them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from minigrad.tensor import Tensor

Array = npt.NDArray[Any]
StateDict = dict[str, Array]


class Parameter(Tensor):
    """A tensor a module owns and an optimiser updates; requires grad unless told otherwise."""

    def __init__(
        self, data: Any, requires_grad: bool = True, *, dtype: npt.DTypeLike | None = None
    ) -> None:
        super().__init__(data, requires_grad, dtype=dtype)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"


class Module:
    """Base class for every layer and model: registration by assignment, recursion for the rest."""

    _parameters: dict[str, Parameter]
    _modules: dict[str, Module]
    _buffers: dict[str, Array]
    training: bool

    def __init__(self) -> None:
        # object.__setattr__: our own __setattr__ needs these dicts to exist before it can run.
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() ran: call super().__init__() first "
                f"in {type(self).__name__}.__init__"
            )
        if name in self._buffers and not isinstance(value, Parameter | Module):
            if value is not None:
                value = np.asarray(value)
                self._buffers[name] = value
            else:
                del self._buffers[name]
            object.__setattr__(self, name, value)
            return
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, value: npt.ArrayLike) -> None:
        """Non-learnable state saved in `state_dict` (BatchNorm's running statistics)."""
        if not name.isidentifier() or "." in name:
            raise ValueError(f"buffer name {name!r} must be a Python identifier without dots")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        array = np.asarray(value)
        self._buffers[name] = array
        object.__setattr__(self, name, array)

    # ------------------------------------------------------------------ traversal

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every descendant, depth-first, each once even if shared."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [
                (f"{name}.{child}" if name else child, sub)
                for child, sub in module._modules.items()
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Own parameters first, then each child's, recursively; a shared parameter is yielded once.

        Yielding a tied weight once means an optimiser updates it once per step, not twice.
        """
        seen: set[int] = set()
        for mod_name, module in self.named_modules(prefix):
            for name, param in module._parameters.items():
                if id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{mod_name}.{name}" if mod_name else name), param

    def parameters(self) -> Iterator[Parameter]:
        for _, param in self.named_parameters():
            yield param

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Array]]:
        for mod_name, module in self.named_modules(prefix):
            for name, buf in module._buffers.items():
                yield (f"{mod_name}.{name}" if mod_name else name), buf

    def num_parameters(self) -> int:
        return sum(p.size for p in self.parameters())

    # ------------------------------------------------------------------ modes and gradients

    def train(self, mode: bool = True) -> Module:
        """Switch this module and all descendants to training (or, with False, evaluation) behaviour."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self) -> None:
        for param in self.parameters():
            param.grad = None

    # ------------------------------------------------------------------ state

    def state_dict(self) -> StateDict:
        """Copies of every parameter and buffer under flat dotted keys (`"0.weight"`, `"norm.running_mean"`).

        Tied parameters appear under each of their names, as in PyTorch; a checkpoint writer may store
        them once.
        """
        state: StateDict = {}
        for mod_name, module in self.named_modules():
            for name, param in module._parameters.items():
                state[f"{mod_name}.{name}" if mod_name else name] = param.data.copy()
            for name, buf in module._buffers.items():
                state[f"{mod_name}.{name}" if mod_name else name] = buf.copy()
        return state

    def load_state_dict(self, state: Mapping[str, npt.ArrayLike], strict: bool = True) -> None:
        """Copy values into the existing parameters and buffers, keeping every `Parameter` object.

        Keeping the objects matters: an optimiser holds references to them. With `strict`, missing or
        unexpected keys are an error naming them; shapes must always match.
        """
        targets: dict[str, tuple[Module, str, bool]] = {}
        for mod_name, module in self.named_modules():
            for name in module._parameters:
                targets[f"{mod_name}.{name}" if mod_name else name] = (module, name, True)
            for name in module._buffers:
                targets[f"{mod_name}.{name}" if mod_name else name] = (module, name, False)
        if strict:
            missing = sorted(set(targets) - set(state))
            unexpected = sorted(set(state) - set(targets))
            if missing or unexpected:
                raise KeyError(
                    f"load_state_dict into {type(self).__name__}: missing keys {missing}, "
                    f"unexpected keys {unexpected}"
                )
        for key, (module, name, is_param) in targets.items():
            if key not in state:
                continue
            value = np.asarray(state[key])
            current = module._parameters[name].data if is_param else module._buffers[name]
            if value.shape != current.shape:
                raise ValueError(
                    f"load_state_dict: {key!r} has shape {value.shape} in the state dict but "
                    f"{current.shape} in the model"
                )
            new = np.array(value, dtype=current.dtype, copy=True)
            if is_param:
                param = module._parameters[name]
                param.data = new
                param.grad = None
            else:
                module._buffers[name] = new
                object.__setattr__(module, name, new)

    # ------------------------------------------------------------------ calling and printing

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def extra_repr(self) -> str:
        """Constructor arguments shown in `repr` (`Linear(in_features=3, out_features=5, bias=True)`)."""
        return ""

    def __repr__(self) -> str:
        """A tree like PyTorch's; a module without `extra_repr` lists its parameters' shapes instead."""
        extra = self.extra_repr()
        lines = [extra] if extra else [f"({n}): {p!r}" for n, p in self._parameters.items()]
        lines += [
            f"({name}): " + repr(mod).replace("\n", "\n  ") for name, mod in self._modules.items()
        ]
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and extra:
            return f"{type(self).__name__}({extra})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


__all__ = ["Module", "Parameter", "StateDict"]
