"""Interoperability with the official `mcp` SDK, in real subprocesses, both ways, under deadlines."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from miniagent.mcp.client import MCPClient
from miniagent.mcp.jsonrpc import METHOD_NOT_FOUND, ProtocolError

anyio = pytest.importorskip("anyio", reason="the SDK interop tests need anyio (pulled in by mcp)")
mcp = pytest.importorskip("mcp", reason="the official MCP SDK is a dev dependency")
from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402

SDK_SERVER = Path(__file__).parent / "mcp_fixtures" / "sdk_server.py"
DEADLINE_S = 30


OUR_SERVERS = {
    "module": (sys.executable, ["-m", "miniagent.mcp.server", "--demo"]),
    "lynx": (str(Path(sys.executable).parent / "lynx"), ["mcp", "serve", "--demo"]),
}


async def _drive_our_server(command: str, args: list[str]) -> dict[str, object]:
    params = StdioServerParameters(command=command, args=args)
    with anyio.fail_after(DEADLINE_S):
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            added = await session.call_tool("add", {"a": 40, "b": 2})
            echoed = await session.call_tool("echo", {"text": 'comió "x"\n\u2028'})
            refused = await session.call_tool("add", {"a": 999, "b": 999})
            try:
                await session.call_tool("add", {"a": "forty", "b": 2})
                bad_args = None
            except Exception as exc:  # the SDK raises its MCPError for a JSON-RPC error
                bad_args = exc
    return {
        "init": init,
        "tools": tools,
        "added": added,
        "echoed": echoed,
        "refused": refused,
        "bad_args": bad_args,
    }


@pytest.mark.parametrize("how", sorted(OUR_SERVERS))
def test_sdk_client_lists_and_calls_our_server(how: str) -> None:
    out = anyio.run(_drive_our_server, *OUR_SERVERS[how])
    init = out["init"]
    assert init.server_info.name == "lynx-cortex-miniagent"  # type: ignore[attr-defined]
    assert init.protocol_version == "2025-11-25"  # type: ignore[attr-defined]
    names = [t.name for t in out["tools"].tools]  # type: ignore[attr-defined]
    assert names == ["echo", "add"]
    added = out["added"]
    assert not added.is_error  # type: ignore[attr-defined]
    assert added.structured_content == {"sum": 42}  # type: ignore[attr-defined]
    assert out["echoed"].structured_content == {"text": 'comió "x"\n\u2028'}  # type: ignore[attr-defined]
    refused = out["refused"]
    assert refused.is_error  # type: ignore[attr-defined]
    assert refused.structured_content["code"] == "too_large"  # type: ignore[attr-defined]
    bad = out["bad_args"]
    assert bad is not None and getattr(bad, "code", None) == -32602, bad


def test_our_client_lists_and_calls_an_sdk_server() -> None:
    with MCPClient([sys.executable, str(SDK_SERVER)], timeout=DEADLINE_S) as client:
        init = client.initialize()
        assert init["serverInfo"]["name"] == "sdk-fixture"
        assert client.protocol_version == "2025-11-25"
        tools = {t["name"]: t for t in client.list_tools()}
        assert set(tools) == {"shout", "divide"}
        assert tools["divide"]["inputSchema"]["required"] == ["a", "b"]
        shouted = client.call_tool("shout", {"text": "comió\n"})
        assert not shouted.is_error
        assert shouted.structured == {"result": "COMIÓ\n"}
        assert client.call_tool("divide", {"a": 7, "b": 2}).structured == {"result": 3.5}
        refused = client.call_tool("divide", {"a": 1, "b": 0})
        assert refused.is_error and "divide by zero" in refused.text
        with pytest.raises(ProtocolError) as info:
            client.request("resources/templates/nope")
        assert info.value.code == METHOD_NOT_FOUND
    assert client.close() is None  # already closed by the with block
