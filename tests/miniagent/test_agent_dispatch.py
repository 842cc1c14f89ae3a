"""The same loop over two transports: the registry in process and a real MCP server subprocess."""

from __future__ import annotations

import os
import sys

from miniagent.agent.dispatch import MCPDispatcher, RegistryDispatcher
from miniagent.agent.failures import ScriptedPlanner
from miniagent.agent.loop import run_agent
from miniagent.agent.types import ToolCall
from miniagent.mcp.client import MCPClient
from miniagent.mcp.demo import demo_registry

SCRIPT = [
    ToolCall("echo", {"text": '¿qué tal? "comillas"\n'}),
    ToolCall("add", {"a": 2, "b": 40}),
    ToolCall("add", {"a": 1}),  # off schema
    ToolCall("no_such_tool", {}),
]


def test_mcp_and_in_process_dispatch_observe_the_same() -> None:
    local = run_agent(ScriptedPlanner({"g": SCRIPT}), RegistryDispatcher(demo_registry()), "g")
    env = {**os.environ, "LYNX_MCP_DEMO": "1"}
    with MCPClient([sys.executable, "-m", "miniagent.mcp.server"], timeout=30, env=env) as client:
        client.initialize()
        dispatcher = MCPDispatcher(client)
        assert [t["name"] for t in dispatcher.tools()] == ["echo", "add"]
        remote = run_agent(ScriptedPlanner({"g": SCRIPT}), dispatcher, "g")
    ok = [(s.observation.ok, dict(s.observation.value)) for s in remote.pad.steps[:2]]
    assert ok == [(s.observation.ok, dict(s.observation.value)) for s in local.pad.steps[:2]]
    assert ok[1] == (True, {"sum": 42})
    off_schema, unknown = (s.observation for s in remote.pad.steps[2:])
    assert (off_schema.ok, off_schema.error_code) == (False, "invalid_params")
    assert (unknown.ok, unknown.error_code) == (False, "invalid_params")
    assert "no_such_tool" in unknown.error
    assert not local.pad.steps[2].observation.ok and not local.pad.steps[3].observation.ok


def test_a_dead_server_is_an_observation() -> None:
    client = MCPClient([sys.executable, "-c", "import sys; sys.exit(0)"], timeout=5)
    client.start()
    try:
        got = MCPDispatcher(client).call("echo", {"text": "x"})
    finally:
        client.close()
    assert (got.ok, got.error_code) == (False, "server_unavailable")
