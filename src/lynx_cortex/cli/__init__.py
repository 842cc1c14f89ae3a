"""The `lynx` command: one entry point, one small module per subcommand group."""

from __future__ import annotations

import sys
import warnings
from typing import TextIO

import click

from lynx_cortex.cli import (
    breaks,
    corpus,
    eval,
    lab,
    learner,
    manifest,
    phase,
    portal,
    quiz,
    tokenizer,
    train,
)
from lynx_cortex.cli._common import CONTEXT, LynxGroup


@click.group(cls=LynxGroup, context_settings=CONTEXT)
@click.version_option(package_name="lynx-cortex", prog_name="lynx")
def cli() -> None:
    """Lynx Cortex: run the course's labs, breaks, quizzes and tools."""


for command in (
    lab.group,
    breaks.group,
    phase.group,
    quiz.quiz,
    manifest.group,
    learner.group,
    learner.journal,
    portal.group,
    portal.up,
    corpus.group,
    tokenizer.group,
    train.train,
    train.sample,
    eval.eval_command,
):
    cli.add_command(command)


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
