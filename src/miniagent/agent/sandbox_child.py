"""The sandbox's child process: lower the limits, install the guards, then run one function. Never import this.

Run as `python -m miniagent.agent.sandbox_child` with a JSON request on stdin:
`{"target": "module:function", "arguments": {...}, "workdir": "/tmp/…", "cpu_s": 2, "memory_mb": 256,
"file_mb": 8}`. The answer is one JSON line on the original stdout (the tool's own prints go to stderr):
`{"ok": true, "result": ...}` or `{"ok": false, "code": ..., "message": ...}`.

Order matters: the rlimits and the audit hook are in place before the target's module is imported, so even
its import-time code runs confined. Only the standard library is imported before that point.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
from collections.abc import Callable
from typing import Any

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
#: Events that create a process or load native code: refused outright (ctypes could undo every guard).
_FORBIDDEN = frozenset(
    {
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "subprocess.Popen",
        "pty.spawn",
        "ctypes.dlopen",
        "ctypes.dlsym",
        "socket.__new__",
        "socket.connect",
        "socket.bind",
        "socket.getaddrinfo",
        "socket.gethostbyname",
    }
)
#: Events that change the file system at the path in their first argument: allowed inside the workdir only.
_PATH_EVENTS = frozenset(
    {
        "os.remove",
        "os.rename",
        "os.rmdir",
        "os.mkdir",
        "os.chmod",
        "os.chown",
        "os.symlink",
        "os.link",
        "os.truncate",
        "os.utime",
        "shutil.rmtree",
        "shutil.copyfile",
        "shutil.move",
    }
)


class SandboxRefusalError(PermissionError):
    """What the audit hook raises; the child reports it as `refused`."""


def _limit(kind: int, value: int) -> None:
    resource.setrlimit(kind, (value, value))


def limit(cpu_s: int, memory_mb: int, file_mb: int) -> None:
    resource.setrlimit(
        resource.RLIMIT_CPU, (cpu_s, cpu_s + 1)
    )  # SIGXCPU at cpu_s, SIGKILL a second later
    _limit(resource.RLIMIT_AS, memory_mb * 2**20)
    _limit(resource.RLIMIT_FSIZE, file_mb * 2**20)
    _limit(resource.RLIMIT_CORE, 0)


def guard(workdir: str) -> Callable[[str, tuple[Any, ...]], None]:
    root = os.path.realpath(workdir)

    def inside(path: Any) -> bool:
        if isinstance(path, int):  # an fd already opened (through this hook)
            return True
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        full = os.path.realpath(os.path.join(root, os.fspath(path)))
        return full == root or full.startswith(root + os.sep)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event in _FORBIDDEN:
            raise SandboxRefusalError(f"sandbox: {event} is not allowed")
        if event == "open":
            path, mode, flags = args
            writes = (
                any(c in str(mode) for c in "wax+")
                if mode is not None
                else bool(flags & _WRITE_FLAGS)
            )
            if writes and path is not None and not inside(path):
                raise SandboxRefusalError(f"sandbox: writing {path!r} outside the work folder")
        elif (
            event in _PATH_EVENTS
            and args
            and not all(inside(a) for a in args[:2] if isinstance(a, str | bytes | os.PathLike))
        ):
            raise SandboxRefusalError(f"sandbox: {event} on {args[0]!r} outside the work folder")

    return hook


def main() -> int:
    answer_fd = os.dup(1)
    os.dup2(2, 1)  # the tool's prints go to stderr; the answer has its own descriptor
    request = json.loads(sys.stdin.read())
    os.chdir(request["workdir"])
    limit(int(request["cpu_s"]), int(request["memory_mb"]), int(request["file_mb"]))
    sys.addaudithook(guard(request["workdir"]))
    try:
        module, _, name = str(request["target"]).partition(":")
        func = getattr(importlib.import_module(module), name)
        answer: dict[str, Any] = {"ok": True, "result": func(**request["arguments"])}
    except SandboxRefusalError as exc:
        answer = {"ok": False, "code": "refused", "message": str(exc)}
    except MemoryError:
        answer = {
            "ok": False,
            "code": "memory_limit",
            "message": "sandbox: the memory limit was hit",
        }
    except Exception as exc:  # the tool's own failure, reported, not raised
        answer = {"ok": False, "code": "tool_failed", "message": f"{type(exc).__name__}: {exc}"}
    try:
        line = json.dumps(answer)
    except (TypeError, ValueError) as exc:
        line = json.dumps({"ok": False, "code": "bad_result", "message": f"not JSON: {exc}"})
    os.write(answer_fd, line.encode() + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
