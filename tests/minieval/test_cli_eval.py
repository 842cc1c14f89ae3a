"""`lynx eval` end to end on a checkpoint trained for a few steps inside the test, and its one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lynx_cortex.cli import cli
from lynx_cortex.paths import data_dir
from minieval.checkpoint_eval import EvalInputError, evaluate_checkpoint, load_checkpoint
from minieval.probes import load_probes

REPORT_FILES = (
    "results.json",
    "per_slice.csv",
    "per_slice.png",
    "reliability.png",
    "REPORT.md",
    "adversarial_by_category.csv",
)


def _one_line_error(result: object, *needles: str) -> None:
    out = getattr(result, "output", "")
    assert getattr(result, "exit_code", 0) == 2, out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    for needle in needles:
        assert needle in lines[0], out


@pytest.mark.slow
def test_eval_writes_a_byte_identical_report_twice_and_compares(tmp_path: Path) -> None:
    from minitrain.run import train_run

    train_run("tiny", tmp_path / "run", steps=3)
    runner = CliRunner()
    first = runner.invoke(cli, ["eval", str(tmp_path / "run"), "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    for name in REPORT_FILES:
        assert (tmp_path / "a" / name).stat().st_size > 0, name
    second = runner.invoke(
        cli,
        [
            "eval",
            str(tmp_path / "run" / "best"),
            "--out",
            str(tmp_path / "b"),
            "--compare",
            str(tmp_path / "a"),
        ],
    )
    assert second.exit_code == 0, second.output
    a_bytes = (tmp_path / "a" / "results.json").read_bytes()
    assert a_bytes == (tmp_path / "b" / "results.json").read_bytes()
    results = json.loads(a_bytes)
    n_probes = len(load_probes(data_dir() / "eval" / "probes.jsonl"))
    assert results["accuracy"]["n"] == n_probes
    assert set(results["perplexity"]) == {"val", "test"}
    for split in ("val", "test"):
        assert results["perplexity"][split]["tokens"] > 0
        assert results["perplexity"][split]["ppl"] > 1.0  # 3 steps: far from a perfect model
    assert len(results["meta"]["checkpoint_sha256"]) == 64
    assert results["meta"]["step"] is not None
    compare = (tmp_path / "b" / "COMPARE.md").read_text(encoding="utf-8")
    assert "# Compare" in compare and "not comparable" not in compare
    assert "Eval date" in (tmp_path / "a" / "REPORT.md").read_text(encoding="utf-8")


def test_missing_checkpoint_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    _one_line_error(result, "nope", "does not exist")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("files", "needle"),
    [
        ({"state.json": "{not json"}, "cannot load checkpoint"),
        ({"state.json": "{}", "model.safetensors": "garbage"}, "cannot load checkpoint"),
        ({"state.json": json.dumps({"format": "x"})}, "lacks model.safetensors"),
    ],
)
def test_corrupt_checkpoint_is_one_line(tmp_path: Path, files: dict[str, str], needle: str) -> None:
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    for name, text in files.items():
        (ckpt / name).write_text(text, encoding="utf-8")
    with pytest.raises(EvalInputError, match="cannot load checkpoint"):
        load_checkpoint(ckpt)
    result = CliRunner().invoke(cli, ["eval", str(ckpt), "--out", str(tmp_path / "o")])
    _one_line_error(result, needle, str(ckpt))


def test_a_leaked_probe_set_is_refused_before_loading_weights(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(data_dir() / "eval", data / "eval")
    shutil.copytree(data_dir() / "processed", data / "processed")
    probe = load_probes(data / "eval" / "probes.jsonl")[0]
    row = {"id": "leak-1", "text": probe.fill(probe.expected)}
    with (data / "processed" / "train.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")
    with pytest.raises(EvalInputError) as info:
        evaluate_checkpoint(tmp_path / "no-such-checkpoint", data=data)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("leak check failed") and probe.id in message
    assert "train:leak-1" in message
