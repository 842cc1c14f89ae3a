"""Checkpoints: exact resume, byte-identical round trip, tied weights stored once, atomic replacement."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
from safetensors.numpy import load_file

from minitrain.checkpoint import checkpoint_files, read_checkpoint, restore, save_checkpoint
from minitrain.config import TrainConfig
from minitrain.trainer import Trainer

CONFIG = TrainConfig(steps=24, warmup_steps=4, lr_max=3e-2, lr_min=3e-3, eval_every=5, batch_size=7)
MODEL_CFG = {"vocab_size": 16, "d": 8}


def _trainer(make_model: Callable[..., Any], corpus: list[list[int]], seed: int = 0) -> Trainer:
    return Trainer(make_model(seed), corpus[:30], corpus[30:], CONFIG, context_len=16)


def test_resume_reproduces_the_uninterrupted_losses_exactly(
    make_model: Callable[..., Any], corpus: list[list[int]], tmp_path: Path
) -> None:
    reference = [r["loss"] for r in _trainer(make_model, corpus).fit()]
    first = _trainer(make_model, corpus)
    losses_a = [r["loss"] for r in first.fit(until=11)]
    save_checkpoint(tmp_path / "ckpt", first, model_config=MODEL_CFG)
    resumed = _trainer(
        make_model, corpus, seed=123
    )  # different init: everything must come from disk
    restore(resumed, read_checkpoint(tmp_path / "ckpt"))
    losses_b = [r["loss"] for r in resumed.fit()]
    np.testing.assert_array_equal(np.array(reference), np.array(losses_a + losses_b))
    assert resumed.best_val == _best_after_full_run(make_model, corpus)


def _best_after_full_run(make_model: Callable[..., Any], corpus: list[list[int]]) -> float:
    trainer = _trainer(make_model, corpus)
    trainer.fit()
    return trainer.best_val


def test_round_trip_is_byte_identical(
    make_model: Callable[..., Any], corpus: list[list[int]], tmp_path: Path
) -> None:
    trainer = _trainer(make_model, corpus)
    trainer.fit(until=10)
    save_checkpoint(tmp_path / "a", trainer, model_config=MODEL_CFG)
    other = _trainer(make_model, corpus, seed=5)
    restore(other, read_checkpoint(tmp_path / "a"))
    save_checkpoint(tmp_path / "b", other, model_config=MODEL_CFG)
    for fa, fb in zip(
        checkpoint_files(tmp_path / "a"), checkpoint_files(tmp_path / "b"), strict=True
    ):
        assert fa.read_bytes() == fb.read_bytes(), fa.name
    for (na, pa), (nb, pb) in zip(
        trainer.model.named_parameters(), other.model.named_parameters(), strict=True
    ):
        assert na == nb and pa.data.tobytes() == pb.data.tobytes()


def test_tied_weights_are_stored_once_and_stay_tied(
    make_model: Callable[..., Any], corpus: list[list[int]], tmp_path: Path
) -> None:
    trainer = _trainer(make_model, corpus)
    trainer.fit(until=3)
    save_checkpoint(tmp_path / "c", trainer, model_config=MODEL_CFG)
    stored = load_file(str(tmp_path / "c" / "model.safetensors"))
    assert "head.weight" not in stored and "embed" in stored
    unique_bytes = sum(p.data.nbytes for p in trainer.model.parameters())
    assert (
        unique_bytes <= (tmp_path / "c" / "model.safetensors").stat().st_size <= unique_bytes + 4096
    )
    other = _trainer(make_model, corpus, seed=9)
    restore(other, read_checkpoint(tmp_path / "c"))
    assert other.model.head.weight is other.model.embed  # type: ignore[attr-defined]


def test_interrupted_save_keeps_the_old_checkpoint(
    make_model: Callable[..., Any], corpus: list[list[int]], tmp_path: Path
) -> None:
    trainer = _trainer(make_model, corpus)
    target = tmp_path / "ckpt"
    with (
        mock.patch("minitrain.checkpoint.os.rename", side_effect=KeyboardInterrupt),
        pytest.raises(KeyboardInterrupt),
    ):
        save_checkpoint(target, trainer, model_config=MODEL_CFG)
    assert not target.exists()
    assert os.listdir(tmp_path) == []
    save_checkpoint(target, trainer, model_config=MODEL_CFG)
    before = (target / "state.json").read_bytes()
    trainer.fit(until=2)
    real_rename = os.rename
    calls: list[int] = []

    def second_rename_fails(src: Any, dst: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_rename(src, dst)

    with (
        mock.patch("minitrain.checkpoint.os.rename", side_effect=second_rename_fails),
        pytest.raises(KeyboardInterrupt),
    ):
        save_checkpoint(target, trainer, model_config=MODEL_CFG)
    assert (target / "state.json").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["ckpt"]


def test_restoring_into_a_different_setup_is_refused(
    make_model: Callable[..., Any], corpus: list[list[int]], tmp_path: Path
) -> None:
    trainer = _trainer(make_model, corpus)
    save_checkpoint(tmp_path / "d", trainer, model_config=MODEL_CFG)
    other_cfg = TrainConfig(**{**CONFIG.to_dict(), "lr_max": 1e-2})
    other = Trainer(make_model(0), corpus[:30], corpus[30:], other_cfg, context_len=16)
    with pytest.raises(ValueError, match="lr_max"):
        restore(other, read_checkpoint(tmp_path / "d"))
    with pytest.raises(FileNotFoundError, match="no checkpoint folder"):
        read_checkpoint(tmp_path / "missing")


def test_no_pickle_in_minitrain() -> None:
    import ast

    import minitrain

    root = Path(minitrain.__file__).parent
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(n.split(".")[0] in {"pickle", "cPickle", "dill"} for n in names), path
