"""Which registry `lynx mcp serve` exposes: the tutor's tools when they are installed, the demo tools otherwise.

The tutor's `miniagent.tools.registry.default_registry()` is looked up at run time with `importlib`, so this
package neither depends on it nor breaks without it.
"""

from __future__ import annotations

import importlib
import importlib.util
import os

from miniagent.mcp.demo import demo_registry
from miniagent.tools.base import Registry

DEFAULT_MODULE = "miniagent.tools.registry"
DEMO_ENV = "LYNX_MCP_DEMO"  # set to 1: serve the demo tools even when the tutor's are installed


def served_registry(*, demo: bool = False) -> Registry:
    """The tutor's default registry if its module exists (and neither `demo` nor $LYNX_MCP_DEMO asks for the
    demo), else the demo registry. The variable reaches server subprocesses, so a test can pin both ends."""
    demo = demo or os.environ.get(DEMO_ENV, "") not in ("", "0")
    if not demo and importlib.util.find_spec(DEFAULT_MODULE) is not None:
        registry = importlib.import_module(DEFAULT_MODULE).default_registry()
        if not isinstance(registry, Registry):
            raise TypeError(
                f"{DEFAULT_MODULE}.default_registry() returned {type(registry).__name__}"
            )
        return registry
    return demo_registry()


__all__ = ["DEFAULT_MODULE", "DEMO_ENV", "served_registry"]
