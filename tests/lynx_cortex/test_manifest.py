from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lynx_cortex.cli import cli
from lynx_cortex.errors import LynxError
from lynx_cortex.manifest import (
    Category,
    categorize,
    diff_manifests,
    format_diff,
    load_manifest,
    record_manifest,
    sha256_file,
)

MONDAY: dict[str, Any] = {
    "id": "2026-05-22-softmax-stability",
    "git_sha": "a1b2c3d",
    "git_dirty": False,
    "seed": 42,
    "config": {"lr": 0.1},
    "versions": {"python": "3.11.9", "numpy": "2.0.1", "torch": "not installed"},
    "hardware": {"cpu": "Intel i5-8250U", "ram_gb": 62, "os": "Fedora 43"},
    "env": {"OMP_NUM_THREADS": "8", "PYTHONHASHSEED": "42"},
    "started_at": "2026-05-22T19:14:02Z",
    "finished_at": "2026-05-22T19:14:08Z",
    "wall_s": 6.31,
    "mean_loss": 0.4321,
}


def variant(**changes: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(MONDAY))
    for dotted, value in changes.items():
        node = data
        *parents, leaf = dotted.split("__")
        for key in parents:
            node = node[key]
        node[leaf] = value
    return data


def write(path: Path, payload: dict[str, Any]) -> Path:
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def test_record_manifest_fields_and_round_trip(tmp_path: Path) -> None:
    (tmp_path / "plot.png").write_bytes(b"\x89PNG fake")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "loss.json").write_text("[1, 2]")
    path = record_manifest(
        tmp_path, seed=7, config={"lr": 0.5}, artifacts=["plot.png", tmp_path / "sub" / "loss.json"]
    )
    data = load_manifest(tmp_path)
    assert path == tmp_path / "manifest.json"
    for field in (
        "seed",
        "git_sha",
        "git_dirty",
        "config",
        "versions",
        "hardware",
        "env",
        "started_at",
        "finished_at",
        "wall_s",
        "artifacts",
    ):
        assert field in data, field
    assert data["seed"] == 7 and data["config"] == {"lr": 0.5}
    assert data["artifacts"] == {
        "plot.png": sha256_file(tmp_path / "plot.png"),
        "sub/loss.json": sha256_file(tmp_path / "sub" / "loss.json"),
    }
    assert "PYTHONHASHSEED" in data["env"] and "python" in data["versions"]
    assert len(data["git_sha"]) == 40 or data["git_sha"] == "unknown"
    assert diff_manifests(data, load_manifest(path)).empty


def test_record_manifest_rejects_missing_artifact(tmp_path: Path) -> None:
    with pytest.raises(LynxError, match="does not exist"):
        record_manifest(tmp_path, seed=0, config={}, artifacts=["nope.bin"])
    assert not (tmp_path / "manifest.json").exists()


def test_manifest_never_records_arbitrary_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_API_TOKEN", "s3cret")
    record_manifest(tmp_path, seed=0, config={})
    assert "s3cret" not in (tmp_path / "manifest.json").read_text()


@pytest.mark.parametrize(
    ("key", "category"),
    [
        ("git_sha", Category.CODE),
        ("git_dirty", Category.CODE),
        ("versions.numpy", Category.VERSIONS),
        ("hardware.cpu", Category.HARDWARE),
        ("env.OMP_NUM_THREADS", Category.ENV),
        ("wall_s", Category.TIME),
        ("started_at", Category.TIME),
        ("finished_at", Category.TIME),
        ("seed", Category.OTHER),
        ("config.lr", Category.OTHER),
        ("mean_loss", Category.OTHER),
    ],
)
def test_categories(key: str, category: Category) -> None:
    assert categorize(key) == category


@pytest.mark.parametrize(
    ("changes", "category", "blocking"),
    [
        ({"git_sha": "ffff000"}, Category.CODE, True),
        ({"versions__numpy": "2.0.2"}, Category.VERSIONS, True),
        ({"hardware__cpu": "AMD EPYC"}, Category.HARDWARE, False),
        ({"env__OMP_NUM_THREADS": "1"}, Category.ENV, False),
        ({"started_at": "2026-05-23T10:00:00Z", "wall_s": 30.0}, Category.TIME, False),
        ({"mean_loss": 0.4327}, Category.OTHER, False),
    ],
)
def test_each_group(changes: dict[str, Any], category: Category, blocking: bool) -> None:
    diff = diff_manifests(MONDAY, variant(**changes))
    assert [c for c in Category if diff.changes[c]] == [category]
    assert diff.blocking is blocking


def test_monday_tuesday_prints_one_versions_line() -> None:
    text = format_diff(diff_manifests(MONDAY, variant(versions__numpy="2.0.2")))
    assert text.splitlines() == [
        "[VERSIONS] numpy: 2.0.1 -> 2.0.2",
        "(no differences in CODE, HARDWARE, ENV, TIME, OTHER)",
    ]


def test_missing_key_is_reported() -> None:
    b = variant()
    a = variant()
    del a["env"]["OMP_NUM_THREADS"]
    text = format_diff(diff_manifests(a, b), quiet=True)
    assert text == "[ENV] OMP_NUM_THREADS: <missing> -> 8"


def test_cli_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    a = write(tmp_path / "a.json", MONDAY)
    times = write(
        tmp_path / "t.json", variant(started_at="2026-06-01T00:00:00Z", finished_at="x", wall_s=1.0)
    )
    code = write(tmp_path / "c.json", variant(git_sha="0" * 40))
    same = runner.invoke(cli, ["manifest", "diff", str(a), str(times)])
    assert same.exit_code == 0, same.output
    assert "[TIME] wall_s: 6.31 -> 1.0" in same.output
    drift = runner.invoke(cli, ["manifest", "diff", str(a), str(code)])
    assert drift.exit_code == 1
    assert drift.output.startswith("[CODE] git_sha: a1b2c3d -> 000")


def test_cli_accepts_run_folders(tmp_path: Path) -> None:
    for name in ("r1", "r2"):
        (tmp_path / name).mkdir()
        write(tmp_path / name / "manifest.json", MONDAY)
    result = CliRunner().invoke(
        cli, ["manifest", "diff", str(tmp_path / "r1"), str(tmp_path / "r2")]
    )
    assert result.exit_code == 0 and "(no differences)" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "manifest not found"),
        ("{not json", "not valid JSON (line 1, column 2"),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_cli_bad_input_is_one_line(tmp_path: Path, content: str | None, message: str) -> None:
    good = write(tmp_path / "good.json", MONDAY)
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    result = CliRunner().invoke(cli, ["manifest", "diff", str(good), str(bad)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lynx: error:") and message in lines[0]
