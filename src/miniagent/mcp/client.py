"""An MCP client over stdio: spawn a server, shake hands, list its tools, call them — with a deadline on every wait.

Strictly one request in flight (send, then wait for the reply with that id); notifications the server sends
meanwhile are skipped, and a request from the server is answered (`ping`) or refused (-32601), because a
client that ignores it would leave the server waiting. A reader thread moves stdout lines into a queue so that
each wait can time out, and a second thread drains stderr so a chatty server can never fill that pipe and stall.

Two failures stay distinct: `ProtocolError` (the JSON-RPC `error` member; the request never reached a tool) and
a `CallOutcome` with `is_error` (the tool ran and refused; the agent can read why and try something else).
"""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any

from miniagent.mcp import framing, jsonrpc
from miniagent.mcp.jsonrpc import ProtocolError
from miniagent.mcp.server import LATEST_PROTOCOL_VERSION, PROTOCOL_VERSIONS

CLIENT_INFO = {"name": "lynx-cortex-miniagent-client", "version": "0.1.0"}
Wiretap = Callable[
    [str, bytes], None
]  # ("->" client to server | "<-" server to client, frame bytes)


class ServerExitedError(ConnectionError):
    """The server closed stdout (exited or crashed); the message carries the tail of its stderr."""


@dataclass(frozen=True)
class CallOutcome:
    is_error: bool
    content: list[dict[str, Any]]
    structured: Any  # `structuredContent`, or the first text block parsed as JSON, or None

    @property
    def text(self) -> str:
        return "".join(str(c.get("text", "")) for c in self.content if c.get("type") == "text")


def _outcome(result: Mapping[str, Any]) -> CallOutcome:
    content = [c for c in result.get("content", []) if isinstance(c, dict)]
    structured = result.get("structuredContent")
    outcome = CallOutcome(bool(result.get("isError", False)), content, structured)
    if structured is None:
        try:  # servers without structured output still often put JSON in the text
            structured = json.loads(outcome.text)
        except json.JSONDecodeError:
            return outcome
        outcome = CallOutcome(outcome.is_error, content, structured)
    return outcome


class MCPClient:
    """`with MCPClient([sys.executable, "-m", "miniagent.mcp.server"]) as c: c.call_tool("echo", {...})`."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        timeout: float = 10.0,
        env: Mapping[str, str] | None = None,
        wiretap: Wiretap | None = None,
    ) -> None:
        self.command = list(command)
        self.timeout = timeout
        self.env = dict(env) if env is not None else None
        self.wiretap = wiretap
        self.server_info: dict[str, Any] = {}
        self.protocol_version = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=40)
        self._threads: list[threading.Thread] = []
        self._next_id = 0

    def __enter__(self) -> MCPClient:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> None:
        self._proc = subprocess.Popen(  # noqa: S603 (the caller names the server to run)
            self.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
            env=self.env,
        )
        if (
            self._proc.stdout is None or self._proc.stderr is None
        ):  # pragma: no cover (PIPE gives both)
            raise RuntimeError("the server's pipes were not created")
        self._threads = [
            threading.Thread(target=self._pump, args=(self._proc.stdout,), daemon=True),
            threading.Thread(target=self._drain, args=(self._proc.stderr,), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def close(self) -> int | None:
        """Close the server's stdin (its signal to exit), wait, and kill it if it does not go."""
        proc = self._proc
        if proc is None:
            return None
        if proc.stdin is not None and not proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()
        try:
            code = proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        for thread in self._threads:
            thread.join(timeout=self.timeout)
        self._proc = None
        return code

    @property
    def stderr_tail(self) -> str:
        return "\n".join(self._stderr)

    def _pump(self, stream: IO[bytes]) -> None:
        while (line := stream.readline()) != b"":
            self._lines.put(line)
        self._lines.put(None)

    def _drain(self, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self._stderr.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def send_bytes(self, data: bytes) -> None:
        """Write raw bytes to the server (a frame, or deliberately not one)."""
        if self._proc is None or self._proc.stdin is None:
            raise ServerExitedError("the server is not running")
        if self.wiretap is not None:
            self.wiretap("->", data)
        try:
            self._proc.stdin.write(data)
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            self._settle()
            raise ServerExitedError(
                f"the server's stdin is closed: {exc}\n{self.stderr_tail}"
            ) from None

    def _settle(self) -> None:
        """After a broken pipe or EOF on stdout the server is gone or going: let it exit and its stderr drain,
        so the error carries what it said last (stdout can close before the drain thread has read stderr)."""
        if self._proc is None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=self.timeout)
        self._threads[1].join(timeout=self.timeout)

    def next_message(self, deadline: float) -> Any:
        """The next frame from the server, decoded; `TimeoutError` at the deadline, `ServerExitedError` at EOF."""
        try:
            line = self._lines.get(timeout=max(deadline - time.monotonic(), 0.0))
        except queue.Empty:
            raise TimeoutError(f"no reply from the MCP server within {self.timeout} s") from None
        if line is None:
            self._lines.put(None)  # stay at EOF for later calls
            self._settle()
            raise ServerExitedError(f"the MCP server closed its stdout\n{self.stderr_tail}")
        if self.wiretap is not None:
            self.wiretap("<-", line)
        return framing.decode(line)

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one request and wait for its result; a JSON-RPC error becomes `ProtocolError`."""
        self._next_id += 1
        id_ = self._next_id
        self.send_bytes(framing.encode(jsonrpc.request(id_, method, params)))
        deadline = time.monotonic() + self.timeout
        while True:
            message = self.next_message(deadline)
            if not isinstance(message, dict):
                raise ProtocolError(jsonrpc.INVALID_REQUEST, f"not a JSON-RPC message: {message!r}")
            if "method" in message:
                self._answer_server(message)
                continue
            if message.get("id") != id_:
                raise ProtocolError(
                    jsonrpc.INVALID_REQUEST, f"reply id {message.get('id')!r}, expected {id_}"
                )
            if "error" in message:
                err = message["error"]
                raise ProtocolError(
                    int(err.get("code", 0)), str(err.get("message")), err.get("data")
                )
            result = message.get("result")
            if not isinstance(result, dict):
                raise ProtocolError(jsonrpc.INVALID_REQUEST, "a result must be an object")
            return result

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self.send_bytes(framing.encode(jsonrpc.notification(method, params)))

    def _answer_server(self, message: dict[str, Any]) -> None:
        """Notifications are read and dropped; a server request gets `{}` for ping, -32601 otherwise."""
        if "id" not in message:
            return
        if message.get("method") == "ping":
            reply = jsonrpc.result(message["id"], {})
        else:
            reply = jsonrpc.error(
                message["id"],
                jsonrpc.METHOD_NOT_FOUND,
                f"Method not found: {message.get('method')}",
            )
        self.send_bytes(framing.encode(reply))

    def initialize(self) -> dict[str, Any]:
        """The handshake: offer our latest version, check the server's answer, then `notifications/initialized`."""
        result = self.request(
            "initialize",
            {
                "protocolVersion": LATEST_PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": dict(CLIENT_INFO),
            },
        )
        version = result.get("protocolVersion")
        if version not in PROTOCOL_VERSIONS:
            raise ProtocolError(
                jsonrpc.INVALID_REQUEST,
                f"the server speaks protocol {version!r}; we speak {PROTOCOL_VERSIONS}",
            )
        if "tools" not in result.get("capabilities", {}):
            raise ProtocolError(jsonrpc.INVALID_REQUEST, "the server does not offer tools")
        self.protocol_version = str(version)
        self.server_info = dict(result.get("serverInfo", {}))
        self.notify("notifications/initialized")
        return result

    def list_tools(self) -> list[dict[str, Any]]:
        """Every tool descriptor, following `nextCursor` pages."""
        tools: list[dict[str, Any]] = []
        params: dict[str, Any] = {}
        while True:
            result = self.request("tools/list", params)
            tools.extend(result.get("tools", []))
            cursor = result.get("nextCursor")
            if not cursor:
                return tools
            params = {"cursor": cursor}

    def call_tool(self, name: str, arguments: Mapping[str, Any] | None = None) -> CallOutcome:
        result = self.request("tools/call", {"name": name, "arguments": dict(arguments or {})})
        return _outcome(result)


__all__ = ["CLIENT_INFO", "CallOutcome", "MCPClient", "ServerExitedError", "Wiretap"]
