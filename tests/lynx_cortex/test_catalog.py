"""Lab discovery: entry points declare the labs packages, listings read them from source without importing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from lynx_cortex import catalog, registry
from lynx_cortex.catalog import ENTRY_POINT_GROUP, index, plugin_modules
from lynx_cortex.paths import project_root

SRC = project_root() / "src"


def test_every_labs_package_in_src_is_declared_in_pyproject_and_installed() -> None:
    pyproject = tomllib.loads((project_root() / "pyproject.toml").read_text(encoding="utf-8"))
    declared = pyproject["project"]["entry-points"][ENTRY_POINT_GROUP]
    on_disk = {p.parent.parent.name for p in SRC.glob("*/labs/__init__.py")}
    assert set(declared) == on_disk, "declare each <pkg>/labs under [project.entry-points]"
    assert all(value == f"{name}.labs" for name, value in declared.items())
    # What the installed metadata says (stale after an edit until `uv sync` re-installs the project).
    assert plugin_modules() == sorted(declared.values()), (
        "run `uv sync` to refresh the entry points"
    )


def test_the_source_index_equals_what_importing_registers() -> None:
    listed = index()
    labs = {(lab.id, lab.title, lab.module) for lab in registry.all_labs()}
    breaks = {(b.phase, b.title, b.change, b.module) for b in registry.all_breaks()}
    assert {(lab.id, lab.title, lab.module) for lab in listed.labs} == labs
    assert {(b.phase, b.title, b.change, b.module) for b in listed.breaks} == breaks
    assert len(listed.labs) == len(labs) and len(listed.breaks) == len(breaks)  # no duplicates


def test_a_decorator_with_computed_arguments_falls_back_to_importing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "demo_labs_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "static.py").write_text(
        textwrap.dedent(
            """
            from lynx_cortex.registry import lab, breaks

            @lab(
                "98-static-demo",
                title="read " "from source",
            )
            def static(ctx):
                return {}

            @breaks(98, title="a (parenthesised) title", change="nothing")
            @staticmethod
            def broken(ctx):
                raise AssertionError
            """
        )
    )
    (package / "computed.py").write_text(
        textwrap.dedent(
            """
            from lynx_cortex.registry import lab

            NAME = "computed"

            @lab("98-computed-demo", title=f"title {NAME}")
            def computed(ctx):
                return {}
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(catalog, "plugin_modules", lambda: ["demo_labs_pkg"])
    monkeypatch.setattr(registry, "_LABS", {})
    monkeypatch.setattr(registry, "_BREAKS", {})
    catalog.index.cache_clear()
    try:
        found = index()
        imported = set(sys.modules)
    finally:
        catalog.index.cache_clear()
    assert [(lab.id, lab.title) for lab in found.labs] == [
        ("98-computed-demo", "title computed"),
        ("98-static-demo", "read from source"),
    ]
    assert [(b.phase, b.title, b.change) for b in found.breaks] == [
        (98, "a (parenthesised) title", "nothing")
    ]
    assert "demo_labs_pkg.computed" in imported and "demo_labs_pkg.static" not in imported


HEAVY = ("matplotlib", "sqlalchemy", "alembic", "torch", "scipy", "numpy", "pydantic", "uvicorn")


@pytest.mark.parametrize(
    "argv", [["--help"], ["phase", "list"], ["lab", "list"], ["break", "list"]]
)
def test_listing_commands_import_no_heavy_library_and_no_lab(argv: list[str]) -> None:
    """A behaviour check, not a timing one: what start-up imports decides how long `lynx phase list` takes."""
    code = textwrap.dedent(
        f"""
        import json, sys
        from lynx_cortex.cli import cli
        try:
            cli({argv!r}, prog_name="lynx")
        except SystemExit:
            pass
        print(json.dumps(sorted(sys.modules)), file=sys.stderr)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    modules = json.loads(proc.stderr.strip().splitlines()[-1])
    heavy = sorted({m.split(".")[0] for m in modules} & set(HEAVY))
    assert not heavy, f"lynx {' '.join(argv)} imported {heavy}"
    ours = sorted(m for m in modules if m.startswith("mini") or ".labs" in m)
    assert not ours, f"lynx {' '.join(argv)} imported {ours}"
    assert proc.stdout.strip()  # and it did print the listing
