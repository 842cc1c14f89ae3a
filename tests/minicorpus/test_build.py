"""The pipeline on disk and the `lynx corpus` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lynx_cortex.cli import cli
from lynx_cortex.errors import LynxError
from lynx_cortex.manifest import sha256_file
from lynx_cortex.paths import data_dir
from minicorpus.build import build_corpus, load_rows, validate_corpus_dir
from minicorpus.manifest import MANIFEST_FILE


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    build_corpus(out, seed=42)
    return out


def _files(root: Path) -> list[str]:
    listed = json.loads((root / MANIFEST_FILE).read_text(encoding="utf-8"))["files"]
    return sorted([*listed, MANIFEST_FILE])


def test_checked_in_corpus_is_regenerated_byte_identically(built: Path) -> None:
    names = _files(data_dir())
    assert names == _files(built)
    for name in names:
        assert (built / name).read_bytes() == (data_dir() / name).read_bytes(), name


def test_manifest_fields(built: Path) -> None:
    manifest = json.loads((built / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["total_correct"] == 280
    assert manifest["total_rows"] == manifest["total_correct"] + manifest["total_mis_conjugated"]
    assert (
        sum(manifest["mis_conjugation_counts_by_type"].values()) == manifest["total_mis_conjugated"]
    )
    assert len(manifest["per_cell_counts"]) == 360
    assert all(c["correct"] >= 1 for c in manifest["per_cell_counts"].values())
    assert all(manifest["validation"].values())
    entry = manifest["files"]["raw/all_rows.jsonl"]
    assert entry["sha256"] == sha256_file(built / "raw/all_rows.jsonl")
    assert entry["lines"] == manifest["total_rows"]
    assert (
        manifest["splits"]["default"]["train"]
        + manifest["splits"]["default"]["val"]
        + manifest["splits"]["default"]["test"]
        == manifest["total_rows"]
    )


def test_validate_dir_detects_tampering(built: Path, tmp_path: Path) -> None:
    assert validate_corpus_dir(built).passed
    copy = tmp_path / "copy"
    build_corpus(copy, seed=42)
    raw = copy / "raw/all_rows.jsonl"
    lines = raw.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[5])
    row["tense"] = "future_will" if row["tense"] != "future_will" else "past_simple"
    lines[5] = json.dumps(row, sort_keys=True, ensure_ascii=False)
    raw.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = validate_corpus_dir(copy)
    failed = {check.name for check in report.failed}
    assert {"truth_table", "manifest_hashes"} <= failed
    assert row["id"] in next(c for c in report.failed if c.name == "truth_table").failures


def test_malformed_jsonl(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw/all_rows.jsonl").write_text('{"id": "0001"}\n{oops\n', encoding="utf-8")
    with pytest.raises(LynxError, match=r"all_rows.jsonl:2: not valid JSON"):
        load_rows(tmp_path)
    with pytest.raises(LynxError, match="corpus folder not found"):
        load_rows(tmp_path / "missing")


def test_cli_build_validate_stats(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "c"
    result = runner.invoke(cli, ["corpus", "build", "--seed", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "280 correct" in result.output
    result = runner.invoke(
        cli, ["corpus", "validate", str(out), "--report", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["passed"] is True
    result = runner.invoke(cli, ["corpus", "stats", str(out), "--out", str(tmp_path / "plots")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "plots").glob("*.png")) == [
        "coverage_heatmap.png",
        "english_spanish_length_scatter.png",
        "length_per_tense.png",
        "mis_conjugation_pareto.png",
    ]


def test_cli_validate_fails_with_exit_1(tmp_path: Path) -> None:
    out = tmp_path / "c"
    build_corpus(out, seed=3)
    raw = out / "raw/all_rows.jsonl"
    raw.write_text(
        raw.read_text(encoding="utf-8").replace("él trabaja", "el trabaja"), encoding="utf-8"
    )
    result = CliRunner().invoke(cli, ["corpus", "validate", str(out)])
    assert result.exit_code == 1
    assert "FAIL  truth_table" in result.output
    assert "INVALID" in result.output


def test_cli_bad_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["corpus", "validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "corpus folder not found" in result.output


def test_cli_export_table_check(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "table.json"
    assert (
        runner.invoke(cli, ["corpus", "export-table", "--out", str(target), "--check"]).exit_code
        == 1
    )
    assert runner.invoke(cli, ["corpus", "export-table", "--out", str(target)]).exit_code == 0
    assert (
        runner.invoke(cli, ["corpus", "export-table", "--out", str(target), "--check"]).exit_code
        == 0
    )


def test_bytes_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    """Two fresh interpreters with different string-hash secrets build the same corpus as data/."""
    import os
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; from minicorpus.build import build_corpus; "
        "build_corpus(Path(sys.argv[1]), seed=42)"
    )
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", code, str(out)], env=env, check=True, timeout=120)
        for name in _files(data_dir()):
            assert (out / name).read_bytes() == (data_dir() / name).read_bytes(), (hash_seed, name)
