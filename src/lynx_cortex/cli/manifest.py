"""`lynx manifest diff A B`."""

from __future__ import annotations

from pathlib import Path

import click

from lynx_cortex.cli._common import CONTEXT, EXIT_FAILED_CHECK
from lynx_cortex.manifest import diff_manifests, format_diff, load_manifest


@click.group("manifest", context_settings=CONTEXT, short_help="Compare the manifests of two runs.")
def group() -> None:
    """Run manifests: compare two runs and see what drifted."""


@group.command("diff", short_help="Show what differs between two run manifests.")
@click.argument("a", type=click.Path(path_type=Path))
@click.argument("b", type=click.Path(path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="Omit the 'no differences in' line.")
def diff(a: Path, b: Path, quiet: bool) -> None:
    """Compare manifests A and B (files, or run folders holding manifest.json).

    Differences print grouped CODE / VERSIONS / HARDWARE / ENV / TIME / OTHER, most consequential first.
    Exit status 1 when CODE or VERSIONS differ (results are not comparable), 0 otherwise.
    """
    result = diff_manifests(load_manifest(a), load_manifest(b))
    text = format_diff(result, quiet=quiet)
    if text:
        click.echo(text)
    if result.blocking:
        raise click.exceptions.Exit(EXIT_FAILED_CHECK)
