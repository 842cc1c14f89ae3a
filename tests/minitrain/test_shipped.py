"""The shipped `grammar` checkpoint: hashes verified before loading, the grammar config, beats the n-gram."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lynx_cortex.artifacts import MANIFEST, artifacts_dir
from lynx_cortex.cli import cli
from lynx_cortex.errors import LynxError
from lynx_cortex.manifest import sha256_file
from lynx_cortex.paths import data_dir
from minicorpus.framing import BOS
from minicorpus.framing import prompt as frame_prompt
from minicorpus.tutor_build import load_tutor_split
from minieval.correction import evaluate_correction
from miniinfer.generate import generate
from miniinfer.sampling import Greedy
from minimodel.data import encode_rows, load_tokenizer
from minimodel.mini_gpt import named_config
from minimodel.shipped import (
    SHIPPED_FILES,
    load_shipped_model,
    shipped_dir,
    shipped_summary,
    verify_shipped,
)
from minitrain.config import named_train_config
from minitrain.run import split_rows
from minitrain.trainer import evaluate

NAME = "grammar"


def test_shipped_files_are_registered_and_small() -> None:
    directory = verify_shipped(NAME)
    listed = json.loads((artifacts_dir() / MANIFEST).read_text())["files"]
    for file in SHIPPED_FILES:
        path = directory / file
        assert listed[f"checkpoints/{NAME}/{file}"] == sha256_file(path)
    total = sum((directory / f).stat().st_size for f in SHIPPED_FILES)
    assert total < 5 * 1024 * 1024
    assert not (directory / "optimizer.safetensors").exists()  # weights-only copy


def test_shipped_checkpoint_is_the_grammar_config_and_records_how_to_reproduce_it() -> None:
    loaded = load_shipped_model(NAME)
    model = loaded.model
    assert loaded.model_config["name"] == NAME
    assert model.cfg == named_config(NAME, load_tokenizer().vocab_size)
    summary = shipped_summary(NAME)
    recipe = named_train_config(NAME)
    assert summary["train_config"] == recipe.to_dict()
    assert (summary["seed"], summary["data_seed"]) == (recipe.seed, recipe.data_seed)
    assert summary["command"] == f"lynx train --config {NAME} --ship"


def test_shipped_checkpoint_reports_its_own_validation_loss() -> None:
    """summary.json's target-side val perplexity is what the weights give on the frame split's val rows."""
    model = load_shipped_model(NAME).model
    recipe = named_train_config(NAME)
    val = encode_rows(load_tokenizer(), split_rows(recipe, "val"))
    result = evaluate(
        model,
        val.ids,
        batch_size=32,
        context_len=model.cfg.context_len,
        prompt_lens=val.prompt_lens,
    )
    assert result.perplexity == pytest.approx(shipped_summary(NAME)["val_perplexity"], rel=1e-5)


def test_shipped_checkpoint_corrects_held_out_sentences() -> None:
    """The job, not a proxy: 200 frame-split test sentences, greedy, the model alone (full figures: phase 20)."""
    model = load_shipped_model(NAME).model
    rows = load_tutor_split(data_dir() / "tutor", "frames")["test"][:200]
    results = evaluate_correction(model, load_tokenizer(), rows)
    assert results["exact_correction"] >= 0.9
    assert results["unchanged_correct"] >= 0.9
    assert results["error_code_accuracy"] >= 0.9


def test_lynx_sample_without_a_checkpoint_uses_the_shipped_one() -> None:
    result = CliRunner().invoke(cli, ["sample", "he work", "--max-new-tokens", "8", "--json"])
    assert result.exit_code == 0, result.output
    model = load_shipped_model(NAME).model
    tokenizer = load_tokenizer()
    # The CLI decodes with the KV cache; the training graph, window by window, must give the same tokens.
    expected = generate(
        model,
        tokenizer.encode(frame_prompt("he work"), allowed_special="all"),
        max_new_tokens=8,
        strategy=Greedy(),
        seed=0,
        cache=False,
        stop_ids=tokenizer.encode(BOS, allowed_special="all"),
    )
    assert json.loads(result.output)["ids"] == expected


@pytest.fixture
def copied_root(tmp_path: Path) -> Path:
    """A private copy of the shipped checkpoint and the manifest, safe to tamper with."""
    root = tmp_path / "artifacts"
    shutil.copytree(shipped_dir(NAME), shipped_dir(NAME, root))
    shutil.copyfile(artifacts_dir() / MANIFEST, root / MANIFEST)
    return root


def test_intact_copy_loads(copied_root: Path) -> None:
    model = load_shipped_model(NAME, root=copied_root).model
    assert model.cfg.n_layers == named_config(NAME, load_tokenizer().vocab_size).n_layers


def test_a_tampered_weight_file_is_refused(copied_root: Path) -> None:
    path = shipped_dir(NAME, copied_root) / "model.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01  # one bit of one weight
    path.write_bytes(bytes(data))
    with pytest.raises(LynxError, match=r"model\.safetensors does not match its sha256"):
        load_shipped_model(NAME, root=copied_root)


def test_an_unregistered_file_is_refused(copied_root: Path) -> None:
    manifest = json.loads((copied_root / MANIFEST).read_text())
    del manifest["files"][f"checkpoints/{NAME}/state.json"]
    (copied_root / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(LynxError, match=r"state\.json is not listed"):
        load_shipped_model(NAME, root=copied_root)


def test_lynx_sample_refuses_a_tampered_shipped_checkpoint(
    copied_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = shipped_dir(NAME, copied_root) / "state.json"
    state.write_text(state.read_text().replace('"n_layers": 4', '"n_layers": 2'))
    monkeypatch.setattr("minimodel.shipped.artifacts_dir", lambda: copied_root)
    result = CliRunner().invoke(cli, ["sample", "he work"])
    assert result.exit_code == 2
    assert "state.json does not match its sha256" in result.output


def test_a_missing_shipped_checkpoint_names_the_command(tmp_path: Path) -> None:
    with pytest.raises(LynxError, match="lynx train --config grammar --ship"):
        load_shipped_model(NAME, root=tmp_path)
    with pytest.raises(ValueError, match="plain folder name"):
        shipped_dir("../grammar")


@pytest.mark.slow
def test_the_recorded_command_reproduces_the_shipped_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retrain from scratch with the recorded command (a few minutes): the weights come out byte-identical."""
    summary = shipped_summary(NAME)
    root = tmp_path / "artifacts"
    root.mkdir()
    monkeypatch.setattr("minitrain.shipped.artifacts_dir", lambda: root)  # where ship_run writes
    monkeypatch.setattr("minimodel.shipped.artifacts_dir", lambda: root)
    args = shlex.split(summary["command"])[1:] + ["--out", str(tmp_path / "run"), "--quiet"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    file = f"checkpoints/{NAME}/model.safetensors"
    assert sha256_file(root / file) == sha256_file(artifacts_dir() / file)
    assert shipped_summary(NAME, root)["val_perplexity"] == summary["val_perplexity"]


def test_lynx_sample_prints_the_framed_correction_of_a_learner_sentence() -> None:
    result = CliRunner().invoke(cli, ["sample", "Yesterday she goed to the market."])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "correction: Yesterday she went to the market.",
        "error:      overregularization_past",
        "spanish:    Ayer ella fue al mercado.",
    ]
    help_text = CliRunner().invoke(cli, ["sample", "--help"]).output
    assert "<|endoftext|>SENTENCE<|sep|>" in help_text and "ERROR_CODE" in help_text
