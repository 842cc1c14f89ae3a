"""How the loop reaches a tool: one `Dispatcher` protocol, two transports.

`RegistryDispatcher` calls the registry in process (microseconds; the tutor's default). `MCPDispatcher` sends
the same call to a `lynx mcp serve` subprocess through the phase-31 client, so an agent can use any MCP
server's tools. Both turn every failure into an `Observation` the planner can read — a protocol error, a
server that died, a tool's refusal — because a loop that crashes on a bad call cannot recover from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from miniagent.agent.types import Observation
from miniagent.mcp.client import MCPClient, ServerExitedError
from miniagent.mcp.jsonrpc import INVALID_PARAMS, ProtocolError
from miniagent.tools.base import Registry


class Dispatcher(Protocol):
    def tools(self) -> list[dict[str, Any]]:
        """The tool descriptors (MCP `tools/list` entries) a planner may choose from."""
        ...

    def call(self, name: str, arguments: Mapping[str, Any]) -> Observation: ...


class RegistryDispatcher:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def tools(self) -> list[dict[str, Any]]:
        return [tool.descriptor() for tool in self.registry]

    def call(self, name: str, arguments: Mapping[str, Any]) -> Observation:
        result = self.registry.call(name, dict(arguments))
        return Observation(result.ok, result.value, result.error_code, result.error)


class MCPDispatcher:
    """Over an initialised `MCPClient`; the caller owns the client's lifetime (`with MCPClient(...)`)."""

    def __init__(self, client: MCPClient) -> None:
        self.client = client
        self._tools: list[dict[str, Any]] | None = None

    def tools(self) -> list[dict[str, Any]]:
        if self._tools is None:
            self._tools = self.client.list_tools()
        return self._tools

    def call(self, name: str, arguments: Mapping[str, Any]) -> Observation:
        try:
            outcome = self.client.call_tool(name, arguments)
        except (
            ProtocolError
        ) as exc:  # the request never reached a tool (unknown tool, bad arguments)
            code = "invalid_params" if exc.code == INVALID_PARAMS else "protocol_error"
            return Observation(False, error_code=code, error=exc.message)
        except (ServerExitedError, TimeoutError) as exc:
            return Observation(
                False, error_code="server_unavailable", error=str(exc).splitlines()[0]
            )
        value = outcome.structured if isinstance(outcome.structured, dict) else {}
        if outcome.is_error:
            return Observation(
                False,
                error_code=str(value.get("code", "tool_error")),
                error=str(value.get("message", outcome.text)),
            )
        return Observation(True, value)


__all__ = ["Dispatcher", "MCPDispatcher", "RegistryDispatcher"]
