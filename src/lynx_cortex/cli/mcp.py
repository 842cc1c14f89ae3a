"""`lynx mcp`: serve the course's tools to any MCP client over stdio, and a tiny client to call them (phase 31)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from lynx_cortex.cli._common import CONTEXT, EXIT_FAILED_CHECK, LynxGroup
from lynx_cortex.errors import LynxError

DEMO_HELP = "Use the two demo tools (echo, add) even when the tutor's tools are installed."


@click.group(
    "mcp",
    cls=LynxGroup,
    context_settings=CONTEXT,
    short_help="MCP over stdio: serve and call tools.",
)
def group() -> None:
    """The Model Context Protocol over stdio (JSON-RPC 2.0, one JSON object per line)."""


@group.command("serve", context_settings=CONTEXT, short_help="Serve the tools on stdio.")
@click.option("--demo", is_flag=True, help=DEMO_HELP)
def serve(demo: bool) -> None:
    """Serve the tools on stdin/stdout until stdin closes.

    \b
    stdout carries protocol frames only; diagnostics go to stderr. Point any MCP client at it, e.g. a
    client configuration entry {"command": "lynx", "args": ["mcp", "serve"]}.
    """
    from miniagent.mcp.server import main

    sys.exit(main(["--demo"] if demo else []))


def _server_command(demo: bool) -> list[str]:
    return [sys.executable, "-m", "miniagent.mcp.server", *(["--demo"] if demo else [])]


def _show_frame(direction: str, frame: bytes) -> None:
    click.echo(f"{direction} {frame.decode('utf-8', 'replace').rstrip(chr(10))}", err=True)


@group.command("tools", context_settings=CONTEXT, short_help="List the served tools.")
@click.option("--demo", is_flag=True, help=DEMO_HELP)
def tools(demo: bool) -> None:
    """List the served tools (name and description), asking a server started for the purpose."""
    from miniagent.mcp.client import MCPClient

    with MCPClient(_server_command(demo)) as client:
        client.initialize()
        for tool in client.list_tools():
            click.echo(f"{tool['name']}\t{tool.get('description', '')}")


@group.command("call", context_settings=CONTEXT, short_help="Call one tool, print its result.")
@click.argument("tool")
@click.argument("arguments", default="{}")
@click.option("--demo", is_flag=True, help=DEMO_HELP)
@click.option(
    "--wire", is_flag=True, help="Print every frame on the pipe to stderr (-> sent, <- received)."
)
def call(tool: str, arguments: str, demo: bool, wire: bool) -> None:
    """Start a server, call TOOL with ARGUMENTS (a JSON object), print the result as JSON.

    \b
    Exit 0 with the result; exit 1 when the tool ran and refused (its structured error is printed);
    exit 2 when the call never reached the tool (bad JSON, unknown tool, arguments off the schema).

    \b
    Examples:  lynx mcp call add '{"a": 2, "b": 3}' --demo --wire
               lynx mcp call echo '{"text": "comió"}' --demo
    """
    from miniagent.mcp.client import MCPClient
    from miniagent.mcp.framing import FrameError, decode
    from miniagent.mcp.jsonrpc import ProtocolError

    try:
        parsed: Any = decode(arguments.encode("utf-8", "surrogatepass"))
    except FrameError as exc:
        raise LynxError(f"ARGUMENTS: {exc}") from None
    if not isinstance(parsed, dict):
        raise LynxError("ARGUMENTS must be a JSON object")
    with MCPClient(_server_command(demo), wiretap=_show_frame if wire else None) as client:
        try:
            client.initialize()
            outcome = client.call_tool(tool, parsed)
        except ProtocolError as exc:
            raise LynxError(f"the server refused the call: {exc}") from None
    value = outcome.structured if outcome.structured is not None else outcome.text
    click.echo(json.dumps(value, ensure_ascii=False))
    if outcome.is_error:
        raise SystemExit(EXIT_FAILED_CHECK)


__all__ = ["call", "group", "serve", "tools"]
