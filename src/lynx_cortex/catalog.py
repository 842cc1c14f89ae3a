"""Where labs and breaks come from: by convention, the `labs` subpackage of each of our packages.

Importing the modules of `<package>.labs` registers that package's labs and breaks through the decorators in
`lynx_cortex.registry`. Discovery happens only when a command asks for the registry, so `lynx --help` stays fast.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

#: Our top-level packages, in dependency order (lowest layer first).
PACKAGES: tuple[str, ...] = (
    "lynx_cortex",
    "minigrad",
    "minicorpus",
    "minitoken",
    "minimodel",
    "minitrain",
    "minieval",
    "miniinfer",
    "minikernel",
    "miniquant",
    "minituner",
    "minirag",
    "ministruct",
    "miniagent",
    "miniserve",
    "miniobserve",
    "minimlops",
    "minivault",
    "minireview",
    "miniportal",
)

_loaded = False


def plugin_modules() -> list[str]:
    """The `<package>.labs` modules that exist in this installation."""
    found = []
    for package in PACKAGES:
        name = f"{package}.labs"
        if (
            importlib.util.find_spec(package) is not None
            and importlib.util.find_spec(name) is not None
        ):
            found.append(name)
    return found


def load_plugins() -> None:
    """Import every module of every `<package>.labs`, so a new lab file needs no registration line."""
    global _loaded
    if _loaded:
        return
    for name in plugin_modules():
        package = importlib.import_module(name)
        for info in pkgutil.iter_modules(package.__path__, prefix=f"{name}."):
            importlib.import_module(info.name)
    _loaded = True
