"""Framing and server logic in process: exact bytes, the error-code table, and fuzzing (never a crash)."""

from __future__ import annotations

import io
import json
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from miniagent.mcp import framing, jsonrpc
from miniagent.mcp.demo import demo_registry
from miniagent.mcp.server import LATEST_PROTOCOL_VERSION, Server, negotiate
from miniagent.tools.base import Registry, Tool

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
SHARED = Server(demo_registry())  # the fuzz tests reuse one server, as a real session does


def _reply(server: Server, message: Any) -> dict[str, Any]:
    line = server.handle_line(framing.encode(message))
    assert line is not None and line.endswith(b"\n") and line.count(b"\n") == 1
    reply = json.loads(line)
    assert isinstance(reply, dict)
    return reply


def test_frame_bytes_are_exact() -> None:
    frame = framing.encode({"a": "comió\n", "b": [1, 2]})
    assert frame == b'{"a":"comi\xc3\xb3\\n","b":[1,2]}\n'  # raw UTF-8, escaped newline, one 0x0a
    assert framing.decode(frame) == {"a": "comió\n", "b": [1, 2]}
    assert framing.decode(b'{"x":1}\r\n') == {"x": 1}


def test_a_lone_surrogate_still_makes_one_valid_frame() -> None:
    frame = framing.encode({"t": "a\ud800é"})
    assert frame == b'{"t":"a\\ud800\\u00e9"}\n'
    assert framing.decode(frame) == {"t": "a\ud800é"}
    reply = SHARED.handle_line(
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"\\ud800"}}}\n'
    )
    assert reply is not None and json.loads(reply)["result"]["structuredContent"] == {
        "text": "\ud800"
    }


@given(json_values)
def test_frames_round_trip_through_a_pipe(value: Any) -> None:
    pipe = io.BytesIO()
    framing.write(pipe, value)
    framing.write(pipe, {"after": True})
    pipe.seek(0)
    first, second = framing.read_line(pipe), framing.read_line(pipe)
    assert first is not None and second is not None
    assert framing.decode(first) == value
    assert framing.decode(second) == {"after": True}
    assert framing.read_line(pipe) is None


def test_u2028_and_carriage_return_do_not_split_a_frame() -> None:
    pipe = io.BytesIO(framing.encode({"t": "a\u2028b\rc"}) + b"\n  \n")
    line = framing.read_line(pipe)
    assert line is not None and framing.decode(line) == {"t": "a\u2028b\rc"}
    assert framing.read_line(pipe) is None  # blank lines are skipped


@pytest.mark.parametrize(
    "bad", [b"nope\n", b"\xff\xfe\n", b'{"a":NaN}\n', b'{"a":1e999}\n', b"[" * 5000 + b"\n"]
)
def test_malformed_frames_get_a_parse_error(bad: bytes) -> None:
    reply = Server(demo_registry()).handle_line(bad)
    assert reply is not None
    assert json.loads(reply) == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32700, "message": json.loads(reply)["error"]["message"]},
    }


@pytest.mark.parametrize(
    ("message", "code", "id_"),
    [
        ([], jsonrpc.INVALID_REQUEST, None),
        ("tools/list", jsonrpc.INVALID_REQUEST, None),
        ({"jsonrpc": "1.0", "id": 1, "method": "ping"}, jsonrpc.INVALID_REQUEST, 1),
        ({"jsonrpc": "2.0", "id": 2}, jsonrpc.INVALID_REQUEST, 2),
        ({"jsonrpc": "2.0", "id": 1.5, "method": "ping"}, jsonrpc.INVALID_REQUEST, None),
        ({"jsonrpc": "2.0", "id": True, "method": "ping"}, jsonrpc.INVALID_REQUEST, None),
        ({"jsonrpc": "2.0", "id": 3, "method": "resources/list"}, jsonrpc.METHOD_NOT_FOUND, 3),
        (
            {"jsonrpc": "2.0", "id": 4, "method": "tools/list", "params": [1]},
            jsonrpc.INVALID_PARAMS,
            4,
        ),
        (jsonrpc.request("u", "tools/call", {"name": "nope"}), jsonrpc.INVALID_PARAMS, "u"),
        (jsonrpc.request(5, "tools/call", {"name": 7}), jsonrpc.INVALID_PARAMS, 5),
        (
            jsonrpc.request(6, "tools/call", {"name": "add", "arguments": [1]}),
            jsonrpc.INVALID_PARAMS,
            6,
        ),
        (
            jsonrpc.request(7, "tools/call", {"name": "add", "arguments": {"a": 1}}),
            jsonrpc.INVALID_PARAMS,
            7,
        ),
        (
            jsonrpc.request(8, "tools/call", {"name": "add", "arguments": {"a": 1, "b": 1000}}),
            jsonrpc.INVALID_PARAMS,
            8,
        ),
    ],
)
def test_protocol_errors_carry_the_right_code_and_id(message: Any, code: int, id_: Any) -> None:
    reply = _reply(Server(demo_registry()), message)
    assert reply["error"]["code"] == code
    assert reply["id"] == id_
    assert "result" not in reply


def test_a_tool_refusal_is_a_result_with_is_error() -> None:
    reply = _reply(
        Server(demo_registry()),
        jsonrpc.request(1, "tools/call", {"name": "add", "arguments": {"a": 999, "b": 999}}),
    )
    result = reply["result"]
    assert result["isError"] is True
    assert result["structuredContent"]["code"] == "too_large"
    assert json.loads(result["content"][0]["text"]) == result["structuredContent"]


def test_a_crashing_tool_costs_one_request_not_the_server() -> None:
    def boom(**_: Any) -> dict[str, Any]:
        raise RuntimeError("bug")

    def odd(**_: Any) -> dict[str, Any]:
        return {"x": {1, 2}}  # a set: not JSON

    schema = {"type": "object", "properties": {}}
    server = Server(
        Registry([Tool("boom", "crashes", schema, boom), Tool("odd", "bad result", schema, odd)])
    )
    for name in ("boom", "odd"):
        reply = _reply(server, jsonrpc.request(1, "tools/call", {"name": name}))
        assert reply["error"]["code"] == jsonrpc.INTERNAL_ERROR
    assert _reply(server, jsonrpc.request(2, "ping"))["result"] == {}


def test_notifications_and_stray_responses_get_no_reply() -> None:
    server = Server(demo_registry())
    assert server.handle(jsonrpc.notification("notifications/initialized")) is None
    assert server.initialized
    assert server.handle(jsonrpc.notification("tools/call", {"name": "nope"})) is None
    assert server.handle({"jsonrpc": "2.0", "id": 9, "result": {}}) is None


def test_version_negotiation() -> None:
    assert negotiate("2024-11-05") == "2024-11-05"
    assert negotiate("1999-01-01") == LATEST_PROTOCOL_VERSION
    reply = _reply(
        Server(demo_registry()), jsonrpc.request(1, "initialize", {"protocolVersion": 3})
    )
    assert reply["result"]["protocolVersion"] == LATEST_PROTOCOL_VERSION
    assert "tools" in reply["result"]["capabilities"]


def _assert_well_formed(reply: bytes | None, sent: Any) -> None:
    """Every answer is one JSON-RPC response line: a result or an error (with a standard code), never both."""
    if reply is None:
        return
    assert reply.endswith(b"\n") and reply.count(b"\n") == 1
    body = json.loads(reply)
    assert body["jsonrpc"] == "2.0"
    assert ("result" in body) != ("error" in body)
    if "error" in body:
        assert body["error"]["code"] in (-32700, -32600, -32601, -32602, -32603)
    if isinstance(sent, dict) and jsonrpc.valid_id(sent.get("id")) and "result" in body:
        assert body["id"] == sent["id"]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["add", "echo", "nope"]), json_values)
def test_fuzzed_arguments_always_get_a_result_or_an_error(name: str, arguments: Any) -> None:
    message = jsonrpc.request(1, "tools/call", {"name": name, "arguments": arguments})
    reply = SHARED.handle_line(framing.encode(message))
    _assert_well_formed(reply, message)
    body = json.loads(reply or b"{}")
    tool = demo_registry().get(name)
    fits = tool is not None and jsonschema.Draft202012Validator(dict(tool.input_schema)).is_valid(
        arguments
    )
    assert (
        "result" in body
    ) == fits  # the schema (checked by jsonschema itself) decides which branch
    if not fits:
        assert body["error"]["code"] == jsonrpc.INVALID_PARAMS
    elif name == "add" and not body["result"]["isError"]:
        assert body["result"]["structuredContent"] == {"sum": arguments["a"] + arguments["b"]}


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["jsonrpc", "id", "method", "params", "result", "error"]), json_values
    )
)
def test_fuzzed_messages_never_crash(message: dict[str, Any]) -> None:
    _assert_well_formed(SHARED.handle_line(framing.encode(message)), message)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=64).filter(lambda b: b"\n" not in b))
def test_fuzzed_bytes_never_crash(junk: bytes) -> None:
    _assert_well_formed(SHARED.handle_line(junk + b"\n"), None)
