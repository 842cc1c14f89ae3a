"""Running a tool that runs code: in a child process, under limits, with a structured answer whatever happens.

`run_sandboxed("pkg.module:function", {...}, Limits())` starts `python -m miniagent.agent.sandbox_child`
in a fresh temporary folder and a new session, sends the request on stdin and reads one JSON line back.
Every way a tool can misbehave comes back as an `Observation` with a code, never as an exception:

| code | what happened | enforced by |
|---|---|---|
| `cpu_limit` | it computed past `cpu_s` seconds of CPU | `RLIMIT_CPU` (the kernel sends SIGXCPU, then SIGKILL) |
| `memory_limit` | it asked for more than `memory_mb` of address space | `RLIMIT_AS` (the allocation fails: MemoryError) |
| `refused` | it opened a socket, wrote outside its folder, started a process, loaded native code | an audit hook (PEP 578) in the child |
| `timeout` | it slept or blocked past `wall_s` (no CPU used, so no CPU limit) | the parent kills the child's session |
| `tool_failed` / `crashed` / `bad_output` | it raised, died, or printed something that is not our answer | the parent |

What is **not** enforced, honestly: the audit hook is a tripwire, not a wall — PEP 578 says so; code that
reaches native code another way (an extension module already importable, a bug) can get past it. There is
no network namespace (no `unshare` here): the child simply cannot *create* a socket through Python. Reads
are not restricted (a tool can read any file the user can). `RLIMIT_FSIZE` caps a file a tool writes in its
folder. The container level (namespaces, seccomp) is planned, not built.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from miniagent.agent.types import Observation
from miniagent.tools.base import Tool, ToolError

CHILD: Final = "miniagent.agent.sandbox_child"
#: The only variables the child inherits: no proxies, no credentials, no HOME with dotfiles.
_KEPT_ENV: Final = ("PATH", "PYTHONHASHSEED", "LANG", "LC_ALL", "VIRTUAL_ENV", "PYTHONPATH")


@dataclass(frozen=True)
class Limits:
    cpu_s: int = 2
    memory_mb: int = 256
    file_mb: int = 8
    wall_s: float = 10.0


def _env(workdir: str) -> dict[str, str]:
    env = {k: os.environ[k] for k in _KEPT_ENV if k in os.environ}
    env.update({"HOME": workdir, "TMPDIR": workdir, "no_proxy": "*"})
    return env


def _killed(returncode: int) -> Observation | None:
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return Observation(False, error_code="cpu_limit", error="sandbox: killed at the CPU limit")
    return None


def run_sandboxed(
    target: str, arguments: Mapping[str, Any], limits: Limits | None = None
) -> Observation:
    """Run `target` (`module:function`) on `arguments` in a confined child; see the module's table."""
    lim = limits or Limits()
    with tempfile.TemporaryDirectory(prefix="lynx-sandbox-") as workdir:
        request = json.dumps(
            {
                "target": target,
                "arguments": dict(arguments),
                "workdir": workdir,
                "cpu_s": lim.cpu_s,
                "memory_mb": lim.memory_mb,
                "file_mb": lim.file_mb,
            }
        )
        proc = subprocess.Popen(  # noqa: S603 (our own child module, fixed argv)
            [sys.executable, "-m", CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=workdir,
            env=_env(workdir),
            start_new_session=True,  # one signal reaches anything it started
        )
        try:
            out, err = proc.communicate(request.encode(), timeout=lim.wall_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return Observation(
                False, error_code="timeout", error=f"sandbox: still running after {lim.wall_s} s"
            )
    killed = _killed(proc.returncode)
    if killed is not None:
        return killed
    lines = out.decode("utf-8", "replace").strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        return Observation(
            False,
            error_code="crashed",
            error=f"sandbox: exit {proc.returncode} {tail[0]}".strip(),
        )
    try:
        answer = json.loads(lines[-1])
    except json.JSONDecodeError:
        return Observation(False, error_code="bad_output", error="sandbox: the answer is not JSON")
    if answer.get("ok"):
        result = answer.get("result")
        return Observation(True, result if isinstance(result, dict) else {"value": result})
    return Observation(False, error_code=str(answer["code"]), error=str(answer["message"]))


def sandboxed_tool(
    name: str,
    description: str,
    input_schema: Mapping[str, Any],
    target: str,
    limits: Limits | None = None,
) -> Tool:
    """A `Tool` whose function runs `target` under the sandbox: a refusal is a `ToolError` with its code,
    so a registry, the MCP server and the agent loop all see a structured tool error."""

    def run(**arguments: Any) -> Mapping[str, Any]:
        got = run_sandboxed(target, arguments, limits)
        if not got.ok:
            raise ToolError(got.error_code, got.error)
        return got.value

    return Tool(name, description, input_schema, run)


__all__ = ["CHILD", "Limits", "run_sandboxed", "sandboxed_tool"]
