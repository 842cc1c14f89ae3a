"""`lynx learner init|list` and `lynx journal`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import click

from lynx_cortex.cli._common import CONTEXT
from lynx_cortex.errors import LynxError
from lynx_cortex.workspace import add_journal_entry, init_learner, list_learners, resolve_learner


def learner_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--learner",
        "-l",
        metavar="NAME",
        help="Workspace name (default $LYNX_LEARNER or the only one).",
    )(func)


@click.group("learner", context_settings=CONTEXT, short_help="Create and list learner workspaces.")
def group() -> None:
    """Learner workspaces under learners/<name>/ (progress, quiz attempts, journal)."""


@group.command("init")
@click.argument("name")
def init(name: str) -> None:
    """Create learners/NAME/ from learners/_template/."""
    click.echo(str(init_learner(name).root))


@group.command("list")
def list_all() -> None:
    """List learner workspaces."""
    for name in list_learners():
        click.echo(name)


@click.command(
    "journal", context_settings=CONTEXT, short_help="Open or append to a day's journal entry."
)
@learner_option
@click.option("--message", "-m", help="Append this line to the entry.")
@click.option("--date", "day", metavar="YYYY-MM-DD", help="Entry date (default today, UTC).")
def journal(learner: str | None, message: str | None, day: str | None) -> None:
    """Open or append to the day's journal entry; prints its path."""
    workspace = resolve_learner(learner)
    now = datetime.now(UTC)
    try:
        when = date.fromisoformat(day) if day else now.date()
    except ValueError:
        raise LynxError(f"--date must be YYYY-MM-DD, got {day!r}") from None
    path = add_journal_entry(workspace, when, message, now=now)
    if message is None and sys.stdin.isatty():
        click.edit(filename=str(path))
    click.echo(str(path))
