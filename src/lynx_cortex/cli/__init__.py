"""The `lynx` command: one entry point, one small module per subcommand group.

Subcommand modules are imported only when their command is used (or listed by `--help`), and each imports its
heavy dependencies inside the command body, so `lynx --help` and `lynx phase list` start in a fraction of a
second (`scripts/bench_cli_startup.py` measures it).
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence
from typing import TextIO

import click

from lynx_cortex.cli._common import CONTEXT, LynxGroup
from lynx_cortex.seeding import HASHSEED_SET_BY, process_hash_seed_fixed

#: Command name -> "module:attribute" of the click command, imported on first use.
COMMANDS: dict[str, str] = {
    "lab": "lynx_cortex.cli.lab:group",
    "break": "lynx_cortex.cli.breaks:group",
    "phase": "lynx_cortex.cli.phase:group",
    "quiz": "lynx_cortex.cli.quiz:quiz",
    "manifest": "lynx_cortex.cli.manifest:group",
    "learner": "lynx_cortex.cli.learner:group",
    "journal": "lynx_cortex.cli.learner:journal",
    "portal": "lynx_cortex.cli.portal:group",
    "up": "lynx_cortex.cli.portal:up",
    "corpus": "lynx_cortex.cli.corpus:group",
    "tokenizer": "lynx_cortex.cli.tokenizer:group",
    "train": "lynx_cortex.cli.train:train",
    "sample": "lynx_cortex.cli.train:sample",
    "eval": "lynx_cortex.cli.eval:eval_command",
    "rag": "lynx_cortex.cli.rag:group",
    "bench": "lynx_cortex.cli.bench:bench",
    "struct": "lynx_cortex.cli.struct:struct",
    "mcp": "lynx_cortex.cli.mcp:group",
    "tutor": "lynx_cortex.cli.tutor:tutor",
    "serve": "lynx_cortex.cli.serve:serve",
}


@click.group(cls=LynxGroup, context_settings=CONTEXT, lazy_subcommands=COMMANDS)
@click.version_option(package_name="lynx-cortex", prog_name="lynx")
def cli() -> None:
    """Lynx Cortex: run the course's labs, breaks, quizzes and tools."""


def _one_line_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    print(f"lynx: warning: {message}", file=file or sys.stderr)


#: Commands whose results must not depend on Python's per-process string-hash secret.
REPRODUCIBLE = (("lab", "run"), ("break", "run"), ("phase", "check"), ("train",), ("bench",))
FIXED_HASHSEED = "0"


def wants_fixed_hash_seed(args: Sequence[str]) -> bool:
    """Whether `lynx ARGS` runs something whose output a hash-ordered set could change."""
    return any(tuple(args[: len(command)]) == command for command in REPRODUCIBLE)


def _reexec_with_fixed_hash_seed(args: Sequence[str]) -> None:
    """Start this same command again with PYTHONHASHSEED=0 when it was launched without a fixed one.

    CPython draws the hash secret before any of our code runs, so setting the variable now would only reach
    child processes; replacing the process is the one way to make `lynx lab run X`, typed as the README shows
    it, reproducible. The run's manifest records both the value and that lynx set it. Phase 00's break is
    unaffected: it launches its own children with and without the variable on purpose.
    """
    if process_hash_seed_fixed() or not wants_fixed_hash_seed(args) or {"-h", "--help"} & set(args):
        return
    if os.environ.get(HASHSEED_SET_BY):  # already re-executed once: never loop
        return
    env = {**os.environ, "PYTHONHASHSEED": FIXED_HASHSEED, HASHSEED_SET_BY: "lynx"}
    try:
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)  # noqa: S606
    except OSError:
        return  # cannot re-exec here: run on, and seed_everything's warning explains the risk


def main() -> None:
    _reexec_with_fixed_hash_seed(sys.argv[1:])
    warnings.showwarning = _one_line_warning
    cli(prog_name="lynx")
