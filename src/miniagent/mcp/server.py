"""An MCP server over stdio for any `Registry`: `initialize`, `ping`, `tools/list`, `tools/call`.

Run it as `python -m miniagent.mcp.server [--demo]` or `lynx mcp serve`. stdout carries protocol frames only
(one stray `print` corrupts the stream), so diagnostics go to stderr.

Where each failure lands (the phase's central rule):
- not JSON → -32700; JSON but not a request → -32600; unknown method → -32601;
- `tools/call` with an unknown tool, or arguments that fail the tool's schema → -32602: the request never
  reached the tool, and the same bytes will fail again;
- the tool ran and refused (`ToolError`) → a normal result with `isError: true` and the structured error, which
  a model can read and act on;
- the tool crashed (any other exception) → -32603, and the server keeps serving.

Notifications never get a reply. Requests before `initialize` are answered anyway (a learner typing frames by
hand should not need the handshake first); the deviation is logged on stderr.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any

from miniagent.mcp import framing, jsonrpc
from miniagent.mcp.jsonrpc import InvalidMessageError, Request
from miniagent.tools.base import Registry, call

#: The initialize-handshake revisions we speak, oldest first; the last is what we offer by default.
PROTOCOL_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
LATEST_PROTOCOL_VERSION = PROTOCOL_VERSIONS[-1]
SERVER_INFO = {"name": "lynx-cortex-miniagent", "version": "0.1.0"}

log = logging.getLogger("miniagent.mcp.server")


def negotiate(requested: object) -> str:
    """MCP's rule: answer with the client's version when we speak it, else with our latest."""
    return (
        requested
        if isinstance(requested, str) and requested in PROTOCOL_VERSIONS
        else LATEST_PROTOCOL_VERSION
    )


def tool_result(value: Any, *, is_error: bool) -> dict[str, Any]:
    """A `tools/call` result: JSON text for any client, plus the same object as `structuredContent`."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return {
        "content": [{"type": "text", "text": text}],
        "structuredContent": value,
        "isError": is_error,
    }


class Server:
    """The protocol logic, free of I/O: a message in, a response (or None) out."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.initialized = False
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "initialize": self._initialize,
            "ping": lambda _params: {},
            "tools/list": self._list_tools,
            "tools/call": self._call_tool,
        }

    def handle(self, message: object) -> dict[str, Any] | None:
        if jsonrpc.is_response(message):
            log.warning("ignoring a response: this server sends no requests")
            return None
        try:
            req = jsonrpc.parse_request(message)
        except InvalidMessageError as exc:
            return jsonrpc.error(exc.id, exc.code, exc.message)
        if req.id is None:
            self._notify(req)
            return None
        return self._answer(req, req.id)

    def handle_line(self, line: bytes) -> bytes | None:
        """One frame in, the reply frame's exact bytes out (None for a notification)."""
        try:
            message = framing.decode(line)
        except framing.FrameError as exc:
            return framing.encode(jsonrpc.error(None, jsonrpc.PARSE_ERROR, f"Parse error: {exc}"))
        response = self.handle(message)
        if response is None:
            return None
        try:
            return framing.encode(response)
        except (TypeError, ValueError) as exc:  # a tool returned something JSON cannot carry
            log.error("unserialisable result: %s", exc)
            message_id = response.get("id")
            return framing.encode(
                jsonrpc.error(message_id, jsonrpc.INTERNAL_ERROR, f"Internal error: {exc}")
            )

    def serve(self, stdin: IO[bytes], stdout: IO[bytes]) -> None:
        """Answer frames until stdin closes."""
        while (line := framing.read_line(stdin)) is not None:
            reply = self.handle_line(line)
            if reply is not None:
                stdout.write(reply)
                stdout.flush()
        log.info("EOF on stdin, shutting down")

    def _answer(self, req: Request, id_: jsonrpc.Id) -> dict[str, Any]:
        method = self._methods.get(req.method)
        if method is None:
            return jsonrpc.error(id_, jsonrpc.METHOD_NOT_FOUND, f"Method not found: {req.method}")
        if not self.initialized and req.method not in ("initialize", "ping"):
            log.warning("%s before initialize: answering anyway", req.method)
        try:
            return jsonrpc.result(id_, method(req.params))
        except InvalidMessageError as exc:
            return jsonrpc.error(id_, exc.code, exc.message)
        except Exception as exc:  # a tool's bug must cost one request, not the server
            log.exception("internal error in %s", req.method)
            return jsonrpc.error(
                id_, jsonrpc.INTERNAL_ERROR, f"Internal error: {type(exc).__name__}: {exc}"
            )

    def _notify(self, req: Request) -> None:
        if req.method == "notifications/initialized":
            self.initialized = True
        else:
            log.info("notification %s (no reply)", req.method)

    def _initialize(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "protocolVersion": negotiate(params.get("protocolVersion")),
            "capabilities": {"tools": {"listChanged": False}},
            "serverInfo": dict(SERVER_INFO),
        }

    def _list_tools(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"tools": [tool.descriptor() for tool in self.registry]}  # one page: no nextCursor

    def _call_tool(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params.get("name")
        if not isinstance(name, str):
            raise InvalidMessageError(
                jsonrpc.INVALID_PARAMS, "Invalid params: name must be a string"
            )
        arguments = params.get("arguments", {})
        if not isinstance(arguments, dict):
            raise InvalidMessageError(
                jsonrpc.INVALID_PARAMS, "Invalid params: arguments must be an object"
            )
        tool = self.registry.get(name)
        if tool is None:
            raise InvalidMessageError(jsonrpc.INVALID_PARAMS, f"Unknown tool: {name!r}")
        outcome = call(tool, arguments)
        if outcome.ok:
            return tool_result(dict(outcome.value), is_error=False)
        if outcome.error_code == "invalid_arguments":
            raise InvalidMessageError(
                jsonrpc.INVALID_PARAMS, f"Invalid params for {name}: {outcome.error}"
            )
        error = {"code": outcome.error_code, "message": outcome.error}
        return tool_result(error, is_error=True)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m miniagent.mcp.server [--demo]`: serve the default registry (or the demo one) on stdio."""
    from miniagent.mcp.registries import served_registry

    args = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="[mcp-server] %(message)s")
    server = Server(served_registry(demo="--demo" in args))
    try:
        server.serve(sys.stdin.buffer, sys.stdout.buffer)
    except (BrokenPipeError, KeyboardInterrupt):
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

__all__ = [
    "LATEST_PROTOCOL_VERSION",
    "PROTOCOL_VERSIONS",
    "SERVER_INFO",
    "Server",
    "main",
    "negotiate",
    "tool_result",
]
