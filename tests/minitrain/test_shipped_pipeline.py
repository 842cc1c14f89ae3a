"""`lynx train --ship` on a short tiny run into a private artifacts folder: copy, register, reload, repeat."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from lynx_cortex.artifacts import MANIFEST
from lynx_cortex.cli import cli
from lynx_cortex.manifest import sha256_file
from minimodel.shipped import SHIPPED_FILES, load_shipped_model, shipped_dir
from minimodel.weights import load_model

STEPS = "6"


def ship_tiny(root: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr("minitrain.shipped.artifacts_dir", lambda: root)  # where ship_run writes
    monkeypatch.setattr("minimodel.shipped.artifacts_dir", lambda: root)
    result = CliRunner().invoke(
        cli,
        ["train", "--config", "tiny", "--steps", STEPS, "--out", str(out), "--quiet", "--ship"],
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("ship")
    root, out = base / "artifacts", base / "run"
    (root).mkdir()
    (root / MANIFEST).write_text(json.dumps({"files": {"other/keep.txt": "0" * 64}}))
    with pytest.MonkeyPatch.context() as mp:
        output = ship_tiny(root, out, mp)
    assert "shipped" in output
    return root, out


def test_ship_copies_the_best_weights_and_registers_every_file(shipped: tuple[Path, Path]) -> None:
    root, out = shipped
    directory = shipped_dir("tiny", root)
    assert sorted(p.name for p in directory.iterdir()) == sorted(SHIPPED_FILES)
    assert sha256_file(directory / "model.safetensors") == sha256_file(
        out / "best" / "model.safetensors"
    )
    files = json.loads((root / MANIFEST).read_text())["files"]
    assert files["other/keep.txt"] == "0" * 64  # other entries survive
    for name in SHIPPED_FILES:
        assert files[f"checkpoints/tiny/{name}"] == sha256_file(directory / name)


def test_shipped_copy_loads_the_same_model_as_the_run(shipped: tuple[Path, Path]) -> None:
    root, out = shipped
    loaded = load_shipped_model("tiny", root=root)
    model, reference = loaded.model, load_model(out).model
    for (name, a), (_, b) in zip(
        sorted(model.state_dict().items()), sorted(reference.state_dict().items()), strict=True
    ):
        np.testing.assert_array_equal(a, b, err_msg=name)
    summary = json.loads((shipped_dir("tiny", root) / "summary.json").read_text())
    assert summary["command"] == f"lynx train --config tiny --steps {STEPS} --ship"
    assert summary["train_config"]["steps"] == int(STEPS)
    assert summary["seed"] == summary["train_config"]["seed"]
    assert summary["weights_only"] is True and "optimizer" not in loaded.state


def test_the_recorded_command_reproduces_the_weights(
    shipped: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = shipped
    again = tmp_path / "artifacts"
    again.mkdir()
    ship_tiny(again, tmp_path / "run", monkeypatch)
    name = "checkpoints/tiny/model.safetensors"
    assert sha256_file(again / name) == sha256_file(first / name)


def test_ship_refuses_a_resumed_run(shipped: tuple[Path, Path]) -> None:
    _, out = shipped
    result = CliRunner().invoke(cli, ["train", "--resume", str(out), "--quiet", "--ship"])
    assert result.exit_code == 2 and "--ship needs a fresh run" in result.output


def test_resuming_from_a_weights_only_folder_is_refused(shipped: tuple[Path, Path]) -> None:
    from minitrain.checkpoint import read_checkpoint

    root, _ = shipped
    with pytest.raises(FileNotFoundError, match="optimizer.safetensors"):
        read_checkpoint(shipped_dir("tiny", root))
