"""JSON-RPC 2.0 as MCP uses it: requests, notifications, responses, and the five standard error codes.

A protocol error (the JSON-RPC `error` member) means the request never reached a tool: the frame was not JSON,
the message was not a request, the method does not exist, or the parameters do not fit. It is the caller's bug
and retrying the same bytes cannot help. A tool that ran and refused is not a protocol error; MCP reports it
as a normal `tools/call` result with `isError: true` (see `server`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VERSION = "2.0"

# JSON-RPC 2.0 spec, section 5.1 "Error object".
PARSE_ERROR = -32700  # the bytes are not JSON
INVALID_REQUEST = -32600  # JSON, but not a request object
METHOD_NOT_FOUND = -32601  # no such method (or a capability the server did not advertise)
INVALID_PARAMS = (
    -32602
)  # params missing, of the wrong shape, or failing the tool's schema; unknown tool
INTERNAL_ERROR = -32603  # the server (or a tool's bug) failed while handling a valid request

Id = int | str


class ProtocolError(Exception):
    """A JSON-RPC error, raised by the client when a response carries one (or a peer breaks the protocol)."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{message} (JSON-RPC {code})")
        self.code = code
        self.message = message
        self.data = data


class InvalidMessageError(ProtocolError):
    """An incoming message the server must refuse; `id` is the request's id when it could be read."""

    def __init__(self, code: int, message: str, id_: Id | None = None) -> None:
        super().__init__(code, message)
        self.id = id_


@dataclass(frozen=True)
class Request:
    method: str
    params: dict[str, Any]
    id: Id | None  # None: a notification, which gets no response at all


def request(id_: Id, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": VERSION, "id": id_, "method": method}
    if params is not None:
        message["params"] = params
    return message


def notification(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": VERSION, "method": method}
    if params is not None:
        message["params"] = params
    return message


def result(id_: Id, value: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": VERSION, "id": id_, "result": value}


def error(id_: Id | None, code: int, message: str, data: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        body["data"] = data
    return {"jsonrpc": VERSION, "id": id_, "error": body}


def valid_id(value: object) -> bool:
    """MCP ids are strings or integers (never null, never a float, and `True` is not an integer here)."""
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def is_response(message: object) -> bool:
    """A reply travelling the other way: no `method`, and a `result` or an `error`."""
    return (
        isinstance(message, dict)
        and "method" not in message
        and ("result" in message or "error" in message)
    )


def parse_request(message: object) -> Request:
    """Check the shape of an incoming request or notification; `InvalidMessageError(-32600/-32602)` otherwise."""
    if not isinstance(message, dict):
        what = "batches are not supported" if isinstance(message, list) else "not an object"
        raise InvalidMessageError(INVALID_REQUEST, f"Invalid Request: {what}")
    has_id = "id" in message
    id_ = message.get("id")
    if has_id and not valid_id(id_):
        raise InvalidMessageError(
            INVALID_REQUEST, "Invalid Request: id must be a string or an integer"
        )
    known = id_ if has_id else None
    if message.get("jsonrpc") != VERSION:
        raise InvalidMessageError(
            INVALID_REQUEST, 'Invalid Request: "jsonrpc" must be "2.0"', known
        )
    method = message.get("method")
    if not isinstance(method, str):
        raise InvalidMessageError(
            INVALID_REQUEST, "Invalid Request: method must be a string", known
        )
    params = message.get("params", {})
    if not isinstance(params, dict):
        raise InvalidMessageError(INVALID_PARAMS, "Invalid params: params must be an object", known)
    return Request(method=method, params=params, id=known)


__all__ = [
    "INTERNAL_ERROR",
    "InvalidMessageError",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "METHOD_NOT_FOUND",
    "PARSE_ERROR",
    "VERSION",
    "Id",
    "ProtocolError",
    "Request",
    "error",
    "is_response",
    "notification",
    "parse_request",
    "request",
    "result",
    "valid_id",
]
