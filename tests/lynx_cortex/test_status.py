"""The generated status blocks: current in the committed files, and built only where code exists."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from lynx_cortex.errors import LynxError
from lynx_cortex.paths import project_root
from lynx_cortex.phases import PHASES, get_phase
from lynx_cortex.status import (
    BEGIN,
    END,
    REGENERATE,
    SUMMARIES,
    collect,
    ranges,
    render_readme,
    replace_block,
    stale_blocks,
    unlisted_packages,
)


def test_committed_status_blocks_match_the_code() -> None:
    stale = [str(path.relative_to(project_root())) for path in stale_blocks()]
    assert not stale, f"status block out of date in {', '.join(stale)}: run `{REGENERATE}`"


def test_every_package_belongs_to_a_phase_and_has_a_summary() -> None:
    assert unlisted_packages() == []
    listed = {name for phase in PHASES for name in phase.packages}
    assert set(SUMMARIES) == listed


def _has_code(path: Path) -> bool:
    body = ast.parse(path.read_text(encoding="utf-8")).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return bool(body)


def test_no_package_without_code_is_called_built() -> None:
    """An independent check of the rule: a built package has a module with statements, not just a docstring."""
    status = collect()
    src = project_root() / "src"
    for package in status.packages:
        has_code = any(_has_code(p) for p in (src / package.name).rglob("*.py"))
        assert package.built == has_code, package.name
    stubs = {p.name for p in status.packages if not p.built}
    for phase in status.phases:
        if phase.built:
            assert not stubs & set(phase.phase.packages), phase.phase.code


def test_readme_marks_every_stub_package_planned() -> None:
    text = (project_root() / "README.md").read_text(encoding="utf-8")
    block = text.split(BEGIN)[1].split(END)[0]
    for package in collect().packages:
        (row,) = [line for line in block.splitlines() if line.startswith(f"| `{package.name}` |")]
        assert f"| {'built' if package.built else 'planned'} |" in row


def _tiny_checkout(root: Path) -> None:
    (root / "src" / "minicorpus").mkdir(parents=True)
    (root / "src" / "minicorpus" / "__init__.py").write_text('"""Phase 12."""\n', encoding="utf-8")
    for rel in ("README.md", "docs/ARCHITECTURE.md"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"# x\n\n{BEGIN}\nold\n{END}\n\ntail\n", encoding="utf-8")


def test_a_phase_is_built_only_with_docs_quiz_lab_and_code(tmp_path: Path) -> None:
    _tiny_checkout(tmp_path)
    phase = get_phase(12)  # minicorpus only

    def status() -> tuple[bool, bool]:
        result = collect(tmp_path)
        (package,) = [p for p in result.packages if p.name == "minicorpus"]
        return package.built, result.phases[12].built

    assert status() == (False, False)  # a docstring-only package
    (tmp_path / "src/minicorpus/labs").mkdir()
    (tmp_path / "src/minicorpus/labs/__init__.py").write_text("", encoding="utf-8")
    assert status() == (False, False)  # __init__ files are not modules with code
    (tmp_path / "src/minicorpus/labs/corpus.py").write_text(
        '@lab(\n    "12-corpus-stats", title="x")\ndef f(ctx): ...\n', encoding="utf-8"
    )
    assert status() == (True, False)  # code and a lab, but no page or quiz yet
    docs = tmp_path / "docs" / phase.dirname / "README.md"
    docs.parent.mkdir(parents=True)
    docs.write_text("# 12\n", encoding="utf-8")
    assert status() == (True, False)
    quiz = tmp_path / "data" / "quizzes" / f"{phase.dirname}.yaml"
    quiz.parent.mkdir(parents=True)
    quiz.write_text("items: []\n", encoding="utf-8")
    assert status() == (True, True)
    assert collect(tmp_path).phases[12].labs == 1
    assert "| `minicorpus` | 12 | built |" in render_readme(collect(tmp_path))
    assert "| `minitoken` | 11 | planned |" in render_readme(collect(tmp_path))


def test_ranges() -> None:
    assert ranges([8, 0, 1, 2, 5, 7]) == "00–02, 05, 07–08"
    assert ranges([41]) == "41"
    assert ranges([]) == ""


def test_replace_block_needs_one_pair_of_markers() -> None:
    assert (
        replace_block(f"a\n{BEGIN}\nold\n{END}\nb", "new", "X.md") == f"a\n{BEGIN}\nnew\n{END}\nb"
    )
    for broken in ("no markers", f"{END}\n{BEGIN}", f"{BEGIN}{END}{BEGIN}{END}"):
        with pytest.raises(LynxError, match=r"X\.md must hold exactly one"):
            replace_block(broken, "new", "X.md")


def _script() -> ModuleType:
    script = Path(__file__).resolve().parents[2] / "scripts" / "gen_status.py"
    spec = importlib.util.spec_from_file_location("gen_status", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_script_checks_then_rewrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _tiny_checkout(tmp_path)
    monkeypatch.setenv("LYNX_ROOT", str(tmp_path))
    main = _script().main
    before = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert main(["--check"]) == 1
    assert "stale status block: README.md" in capsys.readouterr().err
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == before  # --check writes nothing
    assert main([]) == 0
    assert main(["--check"]) == 0
    text = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert text.startswith("# x\n\n") and text.endswith(f"{END}\n\ntail\n")
    assert "**Built: 0 of 42 phases** (none); planned: 00–41." in text
