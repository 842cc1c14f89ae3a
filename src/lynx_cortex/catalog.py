"""Where labs and breaks come from: the `labs` subpackages that installed packages declare as plugins.

A package contributes labs by declaring an entry point in the group `lynx_cortex.labs` whose value is its labs
package (`minigrad = "minigrad.labs"` under `[project.entry-points."lynx_cortex.labs"]` in pyproject.toml), the
plugin convention of pytest and datasette. The core therefore names no other package of ours.

Two ways to read the plugins, for two kinds of command:

- `load_plugins()` imports every module of every declared labs package, which runs the `@lab`/`@breaks`
  decorators of `lynx_cortex.registry`; `lab run` and `phase check` need the functions themselves.
- `index()` reads the same decorators from the source files without importing anything (labs pull in NumPy,
  matplotlib, SQLAlchemy …), so `lynx lab list` and `lynx phase list` answer at once. A decorator whose
  arguments are not plain literals cannot be read that way; its module is imported instead, so the index is
  never wrong, only slower. A test checks that the index equals what the imports register.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import importlib.util
import pkgutil
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ENTRY_POINT_GROUP = "lynx_cortex.labs"

#: A registering decorator at the start of a line, up to the `def` it decorates.
_DECORATOR = re.compile(
    r"^@(?P<kind>lab|breaks)\((?P<call>.*?)\)\s*\n(?=(?:@|def |async def ))", re.M | re.S
)

_loaded = False


@dataclass(frozen=True)
class LabEntry:
    """What a listing shows of a lab: no function, so nothing had to be imported."""

    id: str
    title: str
    module: str

    @property
    def phase(self) -> int:
        return int(self.id[:2])


@dataclass(frozen=True)
class BreakEntry:
    phase: int
    title: str
    change: str
    module: str


@dataclass(frozen=True)
class Index:
    labs: tuple[LabEntry, ...]
    breaks: tuple[BreakEntry, ...]


def plugin_modules() -> list[str]:
    """The labs packages declared in the `lynx_cortex.labs` entry-point group, sorted by name."""
    found = {ep.value for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(found)


def load_plugins() -> None:
    """Import every module of every declared labs package, so a new lab file needs no registration line."""
    global _loaded
    if _loaded:
        return
    for name in plugin_modules():
        package = importlib.import_module(name)
        for info in pkgutil.iter_modules(package.__path__, prefix=f"{name}."):
            importlib.import_module(info.name)
    _loaded = True


def _package_dir(dotted: str) -> Path | None:
    """The folder of package `dotted`, found without importing it (or its parents' `__init__`)."""
    top, *rest = dotted.split(".")
    spec = importlib.util.find_spec(top)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))).joinpath(*rest)
    return folder if (folder / "__init__.py").is_file() else None


def _literal_call(kind: str, call: str) -> tuple[list[object], dict[str, object]] | None:
    """The literal arguments of `@kind(call)`, or None when they are computed at import time."""
    try:
        node = ast.parse(f"{kind}({call})", mode="eval").body
        if not isinstance(node, ast.Call):
            return None
        args = [ast.literal_eval(arg) for arg in node.args]
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
    except (SyntaxError, ValueError):
        return None
    return args, kwargs


def _scan(module: str, source: str) -> tuple[list[LabEntry], list[BreakEntry]] | None:
    labs: list[LabEntry] = []
    breaks: list[BreakEntry] = []
    for match in _DECORATOR.finditer(source):
        parsed = _literal_call(match["kind"], match["call"])
        if parsed is None:
            return None
        args, kwargs = parsed
        try:
            if match["kind"] == "lab":
                labs.append(LabEntry(str(args[0]), str(kwargs["title"]), module))
            else:
                phase = args[0]
                if not isinstance(phase, int):
                    return None
                breaks.append(
                    BreakEntry(phase, str(kwargs["title"]), str(kwargs["change"]), module)
                )
        except (IndexError, KeyError):
            return None
    return labs, breaks


def _imported(module: str) -> tuple[list[LabEntry], list[BreakEntry]]:
    """The entries `module` registers when imported: the fallback for decorators the scan cannot read."""
    from lynx_cortex import registry

    importlib.import_module(module)
    labs = [LabEntry(x.id, x.title, x.module) for x in registry.registered_labs(module)]
    breaks = [
        BreakEntry(x.phase, x.title, x.change, x.module) for x in registry.registered_breaks(module)
    ]
    return labs, breaks


@cache
def index() -> Index:
    """Every declared lab and break, read from the source of the labs packages."""
    labs: list[LabEntry] = []
    breaks: list[BreakEntry] = []
    for package in plugin_modules():
        folder = _package_dir(package)
        if folder is None:
            continue
        for path in sorted(folder.glob("*.py")):
            module = f"{package}.{path.stem}" if path.stem != "__init__" else package
            found = _scan(module, path.read_text(encoding="utf-8"))
            more_labs, more_breaks = found if found is not None else _imported(module)
            labs += more_labs
            breaks += more_breaks
    return Index(
        tuple(sorted(labs, key=lambda x: x.id)), tuple(sorted(breaks, key=lambda x: x.phase))
    )
