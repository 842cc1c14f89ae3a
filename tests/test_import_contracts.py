"""The import-linter contracts (`[tool.importlinter]` in pyproject.toml) hold, and they bite.

CI runs `uv run lint-imports` on the real tree. This test shows the check is not vacuous: on a copy of `src/`
with one deliberately inverted import per contract, `lint-imports` fails and names every one of them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

#: (file under src/, the import appended to it, the line lint-imports reports for it)
INVERSIONS = [
    # a layer importing a higher one
    (
        "minigrad/numerics.py",
        "import minimodel.mini_gpt",
        "minigrad.numerics -> minimodel.mini_gpt",
    ),
    # siblings on one layer are independent
    ("minitrain/config.py", "import minieval.metrics", "minitrain.config -> minieval.metrics"),
    # generation sits below evaluation: miniinfer never imports minieval
    ("miniinfer/sampling.py", "import minieval.metrics", "miniinfer.sampling -> minieval.metrics"),
    # the two leaves stay independent
    ("minicorpus/rows.py", "import minitoken.bpe", "minicorpus.rows -> minitoken.bpe"),
    # the core imports no package of ours
    ("lynx_cortex/paths.py", "import minigrad.numerics", "lynx_cortex.paths -> minigrad.numerics"),
    # nothing imports the CLI
    ("lynx_cortex/phases.py", "import lynx_cortex.cli", "lynx_cortex.phases -> lynx_cortex.cli"),
    # the observability library imports no package of ours, the core included
    ("miniobserve/cost.py", "import lynx_cortex.errors", "miniobserve.cost -> lynx_cortex.errors"),
    # the portal never imports model code
    ("miniportal/exams.py", "import minimodel.mini_gpt", "miniportal.exams -> minimodel.mini_gpt"),
]


def lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` with the project's contracts, resolving our packages from `src`."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", str(REPO / "pyproject.toml")],
        cwd=src.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def src_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("tree") / "src"
    shutil.copytree(REPO / "src", src, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return src


def test_the_tree_keeps_every_contract(src_copy: Path) -> None:
    result = lint_imports(src_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_inverted_import_breaks_its_contract(src_copy: Path) -> None:
    for file, statement, _ in INVERSIONS:
        path = src_copy / file
        path.write_text(path.read_text(encoding="utf-8") + f"\n{statement}  # inverted\n", "utf-8")
    result = lint_imports(src_copy)
    report = result.stdout + result.stderr
    assert result.returncode != 0, report
    assert "0 kept" in report, report  # every contract is broken by one of the inversions
    missed = [reported for _, _, reported in INVERSIONS if reported not in report]
    assert not missed, f"lint-imports did not report {missed}:\n{report}"
