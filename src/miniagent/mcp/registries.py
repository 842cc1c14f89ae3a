"""Which registry `lynx mcp serve` exposes: the tutor's tools when they are installed, the demo tools otherwise.

The tutor's `miniagent.tools.registry.default_registry()` is looked up at run time with `importlib`, so this
package neither depends on it nor breaks without it.
"""

from __future__ import annotations

import importlib
import importlib.util

from miniagent.mcp.demo import demo_registry
from miniagent.tools.base import Registry

DEFAULT_MODULE = "miniagent.tools.registry"


def served_registry(*, demo: bool = False) -> Registry:
    """The tutor's default registry if its module exists (and `demo` is false), else the demo registry."""
    if not demo and importlib.util.find_spec(DEFAULT_MODULE) is not None:
        registry = importlib.import_module(DEFAULT_MODULE).default_registry()
        if not isinstance(registry, Registry):
            raise TypeError(
                f"{DEFAULT_MODULE}.default_registry() returned {type(registry).__name__}"
            )
        return registry
    return demo_registry()


__all__ = ["DEFAULT_MODULE", "served_registry"]
