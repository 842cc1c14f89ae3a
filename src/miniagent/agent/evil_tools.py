"""Deliberately hostile tool functions for the sandbox lab and its tests. Never register them unconfined.

Each one does exactly one bad thing, so the code the sandbox answers with names the limit that stopped it.
"""

from __future__ import annotations

import socket
import time
from typing import Any


def spin() -> dict[str, Any]:
    """Burns CPU forever: only the CPU limit ends it."""
    n = 0
    while True:
        n += 1


def hog(megabytes: int = 2048) -> dict[str, Any]:
    """Asks for `megabytes` at once (2 GB by default)."""
    block = bytearray(megabytes * 2**20)
    return {"bytes": len(block)}


def escape(path: str = "/tmp/../etc/lynx-sandbox-escape") -> dict[str, Any]:  # noqa: S108 (the point)
    """Writes a file outside its work folder."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("escaped")
    return {"wrote": path}


def dial(host: str = "127.0.0.1", port: int = 9) -> dict[str, Any]:
    """Opens a socket and tries to connect."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as conn:
        conn.connect((host, port))
    return {"connected": True}


def nap(seconds: float = 3600) -> dict[str, Any]:
    """Sleeps: no CPU is used, so only the wall clock ends it."""
    time.sleep(seconds)
    return {"slept": seconds}


def scribble(text: str = "hello") -> dict[str, Any]:
    """The well-behaved control: writes and reads back a file in its own folder."""
    with open("note.txt", "w", encoding="utf-8") as handle:
        handle.write(text)
    with open("note.txt", encoding="utf-8") as handle:
        return {"read_back": handle.read()}


EVIL: dict[str, tuple[str, dict[str, Any]]] = {
    "infinite_loop": ("spin", {}),
    "memory_eater": ("hog", {"megabytes": 2048}),
    "escape_write": ("escape", {}),
    "socket_open": ("dial", {}),
    "sleeper": ("nap", {"seconds": 3600}),
}

__all__ = ["EVIL", "dial", "escape", "hog", "nap", "scribble", "spin"]
