"""The lab and break registries: a lab or break registers itself with a decorator next to its code.

Packages that contribute labs declare their labs package as a `lynx_cortex.labs` entry point (see
`lynx_cortex.catalog`). Nothing is imported until a command needs it: listings read the decorators from source,
running one lab imports only the module that defines it, so `lynx --help` stays fast and a broken lab cannot
break the rest of the CLI.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lynx_cortex.errors import LynxError

if TYPE_CHECKING:
    import numpy as np

LAB_ID = re.compile(r"^(?P<phase>\d{2})-[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class LabContext:
    """What a lab or break receives: where to write, which seed, a generator seeded from it, its config."""

    out_dir: Path
    seed: int
    config: dict[str, Any] = field(default_factory=dict)
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        import numpy as np  # here, not at the top: listing labs must not pay for NumPy

        self.rng = np.random.default_rng(self.seed)

    def path(self, name: str) -> Path:
        """A file inside the run folder; every file there is hashed into the manifest."""
        target = self.out_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target


LabFunc = Callable[[LabContext], Mapping[str, Any]]


@dataclass(frozen=True)
class Lab:
    id: str
    title: str
    func: LabFunc
    module: str

    @property
    def phase(self) -> int:
        return int(self.id[:2])


@dataclass(frozen=True)
class BreakOutcome:
    """The healthy and the broken variant side by side, and whether the expected symptom showed up."""

    healthy: Mapping[str, Any]
    broken: Mapping[str, Any]
    symptom: str
    detected: bool


BreakFunc = Callable[[LabContext], BreakOutcome]


@dataclass(frozen=True)
class Break:
    phase: int
    title: str
    change: str
    func: BreakFunc
    module: str


_LABS: dict[str, Lab] = {}
_BREAKS: dict[int, Break] = {}


def lab(lab_id: str, *, title: str) -> Callable[[LabFunc], LabFunc]:
    """Register `func(ctx) -> results` as lab `lab_id` (`NN-kebab-name`, NN = the phase)."""
    if not LAB_ID.match(lab_id):
        raise ValueError(
            f"lab id {lab_id!r} must look like '07-scalar-mlp' (two-digit phase, kebab-case)"
        )

    def register(func: LabFunc) -> LabFunc:
        existing = _LABS.get(lab_id)
        if existing is not None and existing.func is not func:
            raise ValueError(
                f"lab {lab_id!r} registered twice ({existing.module} and {func.__module__})"
            )
        _LABS[lab_id] = Lab(lab_id, title, func, func.__module__)
        return func

    return register


def breaks(phase: int, *, title: str, change: str) -> Callable[[BreakFunc], BreakFunc]:
    """Register `func(ctx) -> BreakOutcome` as the break of `phase`; `change` says what the break alters."""
    if not 0 <= phase <= 41:
        raise ValueError(f"phase must be 0..41, got {phase}")

    def register(func: BreakFunc) -> BreakFunc:
        existing = _BREAKS.get(phase)
        if existing is not None and existing.func is not func:
            raise ValueError(
                f"break {phase:02d} registered twice ({existing.module}, {func.__module__})"
            )
        _BREAKS[phase] = Break(phase, title, change, func, func.__module__)
        return func

    return register


def registered_labs(module: str) -> list[Lab]:
    """The labs that `module` registered when it was imported."""
    return [item for item in _LABS.values() if item.module == module]


def registered_breaks(module: str) -> list[Break]:
    return [item for item in _BREAKS.values() if item.module == module]


def all_labs() -> list[Lab]:
    """Every lab, with its function: imports every labs module (slow; listings use `catalog.index()`)."""
    from lynx_cortex.catalog import load_plugins

    load_plugins()
    return sorted(_LABS.values(), key=lambda item: item.id)


def all_breaks() -> list[Break]:
    from lynx_cortex.catalog import load_plugins

    load_plugins()
    return sorted(_BREAKS.values(), key=lambda item: item.phase)


def get_lab(lab_id: str) -> Lab:
    from lynx_cortex.catalog import index

    listed = {item.id: item for item in index().labs}
    if lab_id not in _LABS and lab_id in listed:
        importlib.import_module(listed[lab_id].module)  # only the module that defines it
    if lab_id not in _LABS:
        known = sorted(set(listed) | set(_LABS))
        close = [item for item in known if item.startswith(lab_id[:2])] or known[:5]
        raise LynxError(f"unknown lab {lab_id!r}; try `lynx lab list` (e.g. {', '.join(close)})")
    return _LABS[lab_id]


def parse_phase(text: str) -> int:
    """Accept `7`, `07` or `phase-07`; reject anything outside 0..41 with a clear message."""
    cleaned = text.strip().lower().removeprefix("phase-").removeprefix("phase")
    if not cleaned.isdigit() or not 0 <= int(cleaned) <= 41:
        raise LynxError(f"phase must be a number from 00 to 41, got {text!r}")
    return int(cleaned)


def get_break(phase: int) -> Break:
    from lynx_cortex.catalog import index

    listed = {item.phase: item for item in index().breaks}
    if phase not in _BREAKS and phase in listed:
        importlib.import_module(listed[phase].module)
    if phase not in _BREAKS:
        ready = ", ".join(f"{p:02d}" for p in sorted(set(listed) | set(_BREAKS))) or "none yet"
        raise LynxError(f"phase {phase:02d} has no runnable break yet (available: {ready})")
    return _BREAKS[phase]
