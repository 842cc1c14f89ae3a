"""Which registry `lynx mcp serve` exposes: the tutor's tools (`miniagent.tools.registry`), or the two demo
tools on request (`--demo`, or `LYNX_MCP_DEMO=1`, which reaches server subprocesses so a test or a lab can pin
both ends of a session to tools whose answers never change)."""

from __future__ import annotations

import os

from miniagent.mcp.demo import demo_registry
from miniagent.tools.base import Registry
from miniagent.tools.registry import default_registry

DEMO_ENV = "LYNX_MCP_DEMO"


def served_registry(*, demo: bool = False) -> Registry:
    if demo or os.environ.get(DEMO_ENV, "") not in ("", "0"):
        return demo_registry()
    return default_registry()


__all__ = ["DEMO_ENV", "served_registry"]
