"""The `lynx` command: one entry point, one small module per subcommand group.

Subcommand modules are imported only when their command is used (or listed by `--help`), and each imports its
heavy dependencies inside the command body, so `lynx --help` and `lynx phase list` start in a fraction of a
second (`scripts/bench_cli_startup.py` measures it).
"""

from __future__ import annotations

import sys
import warnings
from typing import TextIO

import click

from lynx_cortex.cli._common import CONTEXT, LynxGroup

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


def main() -> None:
    warnings.showwarning = _one_line_warning
    cli(prog_name="lynx")
