"""`lynx mcp`: a real client/server round trip behind each command, and the exit-code contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from lynx_cortex.cli import cli


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["mcp", *args])


def test_call_prints_the_result() -> None:
    result = run("call", "add", '{"a": 2, "b": 40}', "--demo")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"sum": 42}


def test_call_shows_the_wire_on_stderr() -> None:
    result = run("call", "echo", '{"text": "comió"}', "--demo", "--wire")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"text": "comió"}
    sent = [line for line in result.stderr.splitlines() if line.startswith("-> ")]
    assert json.loads(sent[-1][3:])["params"] == {"name": "echo", "arguments": {"text": "comió"}}


def test_exit_codes_separate_refusals_from_protocol_errors() -> None:
    refused = run("call", "add", '{"a": 999, "b": 999}', "--demo")
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["code"] == "too_large"
    for args, words in (
        (("call", "add", '{"a": 1}', "--demo"), "-32602"),
        (("call", "nope", "{}", "--demo"), "Unknown tool"),
        (("call", "add", "not json", "--demo"), "not a UTF-8 JSON value"),
        (("call", "add", '{"a": 1e999, "b": 0}', "--demo"), "out of range"),
        (("call", "add", "[1]", "--demo"), "JSON object"),
    ):
        result = run(*args)
        assert result.exit_code == 2, args
        assert result.stderr.startswith("lynx: error:") and words in result.stderr
        assert "Traceback" not in result.output


def test_tools_lists_names() -> None:
    result = run("tools", "--demo")
    assert result.exit_code == 0
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["echo", "add"]


def test_serve_answers_frames_on_stdio() -> None:
    frame = b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}\n'
    out = subprocess.run(
        [str(Path(sys.executable).parent / "lynx"), "mcp", "serve", "--demo"],
        input=frame,
        capture_output=True,
        timeout=60,
        check=True,
    )
    reply = json.loads(out.stdout)
    assert [t["name"] for t in reply["result"]["tools"]] == ["echo", "add"]
