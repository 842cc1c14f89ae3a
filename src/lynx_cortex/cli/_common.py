"""What every `lynx` subcommand shares: one-line errors and exit codes.

Exit codes: 0 success, 1 a check that ran and failed (drift found, quiz failed, symptom not reproduced),
2 bad input or a missing file (the message says which).
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import click

from lynx_cortex.errors import LynxError
from lynx_cortex.files import output_problem
from lynx_cortex.labkit import MODE_ENV, MODES
from lynx_cortex.registry import parse_phase
from lynx_cortex.seeding import MAX_SEED

EXIT_FAILED_CHECK = 1
EXIT_BAD_INPUT = 2

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class CliError(click.ClickException):
    exit_code = EXIT_BAD_INPUT

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"lynx: error: {self.format_message()}", err=True, file=file)


class LynxGroup(click.Group):
    """Every failure a user can cause ends as one line on stderr and a non-zero exit.

    A `LynxError` raised anywhere below becomes exit 2, and so does a usage error, which click would otherwise
    print as a three-line block; the hint names the `--help` to read.

    `lazy_subcommands` maps a command name to `"module:attribute"`; the module is imported only when that
    command runs or `--help` lists it (click's documented lazy-group pattern).
    """

    def __init__(self, *args: Any, lazy_subcommands: dict[str, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = dict(lazy_subcommands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_subcommands and cmd_name not in self.commands:
            module, _, attribute = self.lazy_subcommands[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.lazy_subcommands[cmd_name]} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LynxError as exc:
            raise CliError(str(exc)) from exc

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        run = functools.partial(super().main, args, prog_name, complete_var, False, **extra)
        if not standalone_mode:
            return run()
        try:
            result: Any = run()
        except click.UsageError as exc:
            where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            click.echo(f"lynx: error: {exc.format_message()}{where}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("lynx: aborted", err=True)
            sys.exit(EXIT_FAILED_CHECK)
        sys.exit(result if isinstance(result, int) else 0)


class PhaseType(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click stubs
    """`7`, `07` or `phase-07`, checked against 00..41."""

    name = "NN"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_phase(str(value))
        except LynxError as exc:
            self.fail(str(exc), param, ctx)


PHASE = PhaseType()
SEED = click.IntRange(0, MAX_SEED)


class OutputPath(click.Path):
    """An output file or folder, checked when the command line is parsed: a path under a file or of the
    wrong kind is refused before any work starts, not after a long run when the results are written."""

    def __init__(self, *, folder: bool) -> None:
        super().__init__(path_type=Path, file_okay=not folder, dir_okay=folder)
        self.folder = folder

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = super().convert(value, param, ctx)
        problem = output_problem(Path(os.fsdecode(path)), folder=self.folder)
        if problem is not None:
            self.fail(problem, param, ctx)
        return path


OUT_DIR = OutputPath(folder=True)
OUT_FILE = OutputPath(folder=False)


def mode_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """`--mode smoke|default|full`: the lab size (sets LYNX_LAB_MODE for this run)."""

    def apply(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is not None:
            os.environ[MODE_ENV] = value
        return value

    return click.option(
        "--mode",
        type=click.Choice(MODES),
        callback=apply,
        expose_value=False,
        help="Lab size: smoke (seconds), default, full (the course-sized run). Default: $LYNX_LAB_MODE or default.",
    )(func)


def check_listen(host: str, port: int) -> None:
    """Refuse an address the server could not listen on before any work is done (uvicorn would only log it
    after start-up and exit 3); `lynx up`, `lynx portal serve` and `lynx serve` share it."""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise LynxError(f"--host {host!r}: {exc.strerror}") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            raise LynxError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
