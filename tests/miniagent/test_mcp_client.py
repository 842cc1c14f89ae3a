"""Our client against our server in a real subprocess: the round trip, the wire bytes, hangs and cleanup."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from miniagent.mcp import framing, jsonrpc
from miniagent.mcp.client import MCPClient, ServerExitedError
from miniagent.mcp.demo import demo_registry
from miniagent.mcp.jsonrpc import INVALID_PARAMS, PARSE_ERROR, ProtocolError
from miniagent.mcp.server import Server

SERVER = [sys.executable, "-m", "miniagent.mcp.server", "--demo"]


def test_round_trip_and_the_bytes_on_the_pipe() -> None:
    wire: list[tuple[str, bytes]] = []
    with MCPClient(SERVER, timeout=20, wiretap=lambda d, b: wire.append((d, b))) as client:
        client.initialize()
        assert [t["name"] for t in client.list_tools()] == ["echo", "add"]
        assert client.call_tool("add", {"a": -5, "b": 7}).structured == {"sum": 2}
        refused = client.call_tool("add", {"a": 999, "b": 999})
        assert refused.is_error and refused.structured["code"] == "too_large"
        with pytest.raises(ProtocolError) as info:
            client.call_tool("add", {"a": 1})
        assert info.value.code == INVALID_PARAMS
    directions = [d for d, _ in wire]
    assert directions[:4] == [
        "->",
        "<-",
        "->",
        "->",
    ]  # initialize, its reply, initialized (no reply), tools/list
    assert wire[2][1] == b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n'
    assert all(frame.endswith(b"\n") and frame.count(b"\n") == 1 for _, frame in wire)


def test_malformed_frames_in_a_live_session_get_errors_not_hangs() -> None:
    junk = [b"{", b"\xff", b"[]", b'{"jsonrpc":"2.0","id":1}', b"x" * 10_000]
    with MCPClient(SERVER, timeout=20) as client:
        for line in junk:
            client.send_bytes(line + b"\n")
        replies = [client.next_message(time.monotonic() + 20) for _ in junk]
        assert [r["error"]["code"] for r in replies] == [
            PARSE_ERROR,
            PARSE_ERROR,
            -32600,
            -32600,
            PARSE_ERROR,
        ]
        assert client.request("ping") == {}  # still serving


def test_server_exits_on_eof_and_client_cleans_up_after_an_exception() -> None:
    client = MCPClient(SERVER, timeout=20)
    with pytest.raises(RuntimeError), client:
        client.initialize()
        proc = client._proc
        raise RuntimeError("the with block fails")
    assert proc is not None and proc.returncode == 0  # closed stdin → clean exit, no orphan


def test_a_dead_server_is_reported_not_waited_on() -> None:
    with (
        MCPClient(
            [sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"], timeout=20
        ) as c,
        pytest.raises(ServerExitedError, match="boom"),
    ):
        c.request("ping")


def test_a_silent_server_times_out() -> None:
    silent = [sys.executable, "-c", "import time; time.sleep(30)"]
    with MCPClient(silent, timeout=0.5) as c, pytest.raises(TimeoutError):
        c.request("ping")


def test_module_entry_point_serves_a_scripted_session() -> None:
    frames = framing.encode({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}) + b"oops\n"
    out = subprocess.run(SERVER, input=frames, capture_output=True, timeout=30, check=True)
    lines = out.stdout.splitlines()
    assert len(lines) == 2
    assert framing.decode(lines[1])["error"]["code"] == PARSE_ERROR


frames = (
    st.one_of(
        st.binary(max_size=40),
        st.dictionaries(
            st.sampled_from(["jsonrpc", "id", "method", "params"]),
            st.one_of(
                st.sampled_from(["2.0", "tools/call", "tools/list", "ping"]),
                st.integers(),
                st.none(),
            ),
        ).map(framing.encode),
        st.builds(
            lambda i, name, args: framing.encode(
                jsonrpc.request(i, "tools/call", {"name": name, "arguments": args})
            ),
            st.integers(0, 99),
            st.sampled_from(["add", "echo", "nope"]),
            st.dictionaries(
                st.sampled_from(["a", "b", "text"]), st.integers(-2000, 2000) | st.text(max_size=5)
            ),
        ),
    )
    .map(lambda b: b.rstrip(b"\n").replace(b"\n", b" "))
    .filter(lambda b: b.strip() != b"")
)


@settings(max_examples=8, deadline=None)
@given(st.lists(frames, min_size=1, max_size=15))
def test_a_live_server_answers_fuzzed_frames_exactly_as_in_process(lines: list[bytes]) -> None:
    """The pipe adds nothing and loses nothing: byte-identical replies to `Server.handle_line`, then a clean exit."""
    oracle = Server(demo_registry())
    expected = [r for r in (oracle.handle_line(line + b"\n") for line in lines) if r is not None]
    out = subprocess.run(
        SERVER, input=b"".join(line + b"\n" for line in lines), capture_output=True, timeout=30
    )
    assert out.returncode == 0
    assert [line + b"\n" for line in out.stdout.split(b"\n")[:-1]] == expected  # split on 0x0a only
    assert out.stdout == b"".join(expected)
