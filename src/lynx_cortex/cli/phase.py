"""`lynx phase list|show|check`."""

from __future__ import annotations

from pathlib import Path

import click

from lynx_cortex.catalog import index
from lynx_cortex.cli._common import CONTEXT, EXIT_FAILED_CHECK, OUT_DIR, PHASE
from lynx_cortex.paths import project_root
from lynx_cortex.phases import PHASES, Phase, get_phase


@click.group(
    "phase", context_settings=CONTEXT, short_help="The 42 phases: list, show and check them."
)
def group() -> None:
    """The 42 phases: what each teaches, where its code, labs, break and quiz are."""


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(project_root()))
    except ValueError:
        return str(path)


def _yes(flag: bool) -> str:
    return "yes" if flag else "-"


@group.command("list", short_help="One line per phase: docs, quiz, labs, break.")
def list_phases() -> None:
    """One line per phase: docs, quiz, labs and break available."""
    labs = index().labs
    with_break = {b.phase for b in index().breaks}
    click.echo(f"{'NN':<3} {'slug':<26} {'docs':<5} {'quiz':<5} {'labs':<5} {'break':<6} title")
    for phase in PHASES:
        n_labs = sum(1 for lab in labs if lab.phase == phase.number)
        click.echo(
            f"{phase.code:<3} {phase.slug:<26} {_yes(phase.docs_path.is_file()):<5} "
            f"{_yes(phase.quiz_path.is_file()):<5} {n_labs:<5} "
            f"{_yes(phase.number in with_break):<6} {phase.title_en}"
        )


def _intro(phase: Phase) -> str:
    """The first paragraph of the phase's README after its title."""
    if not phase.docs_path.is_file():
        return "(no docs yet)"
    paragraphs = [p.strip() for p in phase.docs_path.read_text(encoding="utf-8").split("\n\n")]
    body = [p for p in paragraphs if p and not p.startswith(("#", ">"))]
    return body[0] if body else ""


@group.command("show", short_help="A phase's title, intro, labs, break and quiz.")
@click.argument("nn", type=PHASE)
def show(nn: int) -> None:
    """Title, intro, packages, labs, break and quiz of phase NN."""
    phase = get_phase(nn)
    click.echo(f"Phase {phase.code} — {phase.title_en} / {phase.title_es}")
    click.echo(f"packages: {', '.join(phase.packages)}")
    click.echo(
        f"docs:     {_rel(phase.docs_path)}{'' if phase.docs_path.is_file() else ' (missing)'}"
    )
    click.echo(
        f"quiz:     {_rel(phase.quiz_path)}{'' if phase.quiz_path.is_file() else ' (missing)'}"
    )
    click.echo("")
    click.echo(_intro(phase))
    click.echo("")
    for lab in (lab for lab in index().labs if lab.phase == phase.number):
        click.echo(f"lab:   lynx lab run {lab.id}  — {lab.title}")
    for brk in (b for b in index().breaks if b.phase == phase.number):
        click.echo(f"break: lynx break run {brk.phase:02d}  — {brk.title}")
    if phase.quiz_path.is_file():
        click.echo(f"quiz:  lynx quiz {phase.code}")


@group.command("check", short_help="Check a phase: tests, labs, break, docs, quiz.")
@click.argument("nn", type=PHASE)
@click.option("--skip-tests", is_flag=True, help="Do not run the phase's tests.")
@click.option(
    "--out",
    type=OUT_DIR,
    help="Report folder (default experiments/phase-check-NN/<stamp>/).",
)
def check(nn: int, skip_tests: bool, out: Path | None) -> None:
    """Run phase NN's tests, labs and break, validate its docs and quiz, write report.md; exit 1 on failure."""
    from lynx_cortex.phasecheck import check_phase

    record, passed = check_phase(get_phase(nn), run_tests=not skip_tests, out=out)
    click.echo((record.out_dir / "report.md").read_text(encoding="utf-8"), nl=False)
    click.echo(str(record.out_dir))
    if not passed:
        raise click.exceptions.Exit(EXIT_FAILED_CHECK)
