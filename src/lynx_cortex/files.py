"""Files a user hands the CLI: read them, or check where an output will go, failing with the path named.

A non-UTF-8 byte or an output folder under a file would otherwise surface as a Python traceback (and the second
only after the long run that produced the output). These two checks turn both into one `LynxError` up front.
"""

from __future__ import annotations

import os
from pathlib import Path

from lynx_cortex.errors import LynxError


def read_text(path: Path, *, what: str = "") -> str:
    """`path` as UTF-8 text; a missing, unreadable or non-UTF-8 file is a `LynxError` naming it (and the byte)."""
    label = f"{what} {path}" if what else str(path)
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LynxError(
            f"{label}: not UTF-8 text (byte {exc.start} is {exc.object[exc.start]:#04x}); save it as UTF-8"
        ) from None
    except IsADirectoryError:
        raise LynxError(f"{label} is a folder, not a file") from None
    except FileNotFoundError:
        raise LynxError(f"{label} not found") from None
    except OSError as exc:
        raise LynxError(f"{label}: cannot be read ({exc.strerror or exc})") from None


def output_problem(path: Path, *, folder: bool) -> str | None:
    """Why `path` cannot become the output (a file, or a folder when `folder`), or None when it can.

    It must be of the right kind if it exists; otherwise its nearest existing ancestor must be a writable
    folder. Nothing is created.
    """
    path = Path(path)
    if path.exists():
        if folder and not path.is_dir():
            return f"{path} is a file, not a folder"
        if not folder and path.is_dir():
            return f"{path} is a folder, not a file"
        return None
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                return f"{path} cannot be created: {parent} is a file, not a folder"
            if not os.access(parent, os.W_OK | os.X_OK):
                return f"{path} cannot be created: {parent} is not writable"
            return None
    return None


def check_output(path: Path, *, folder: bool, what: str = "output") -> Path:
    """`path`, after `output_problem` found nothing wrong with it (`LynxError` otherwise)."""
    problem = output_problem(path, folder=folder)
    if problem is not None:
        raise LynxError(f"{what}: {problem}")
    return path
