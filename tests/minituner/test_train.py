"""Phase 28: the frozen-base loop learns, leaves the base's bytes alone, and the experiment's rows are sound."""

from __future__ import annotations

import numpy as np
import pytest

from minimodel.mini_gpt import MiniGPT, MiniGPTConfig
from minituner.data import LEARNER, STAND_IN, build_experiment, rename
from minituner.experiment import before_after_table
from minituner.lora import LoRAConfig, apply_lora, base_sha256
from minituner.train import FineTuneConfig, fine_tune

SMALL = MiniGPTConfig(vocab_size=37, d_model=24, n_heads=4, n_layers=2, d_ff=40, context_len=16)


def test_fine_tuning_lowers_the_loss_and_keeps_the_base_bit_for_bit() -> None:
    model = MiniGPT(SMALL, rng=np.random.default_rng(0))
    # the tied head is the frozen N(0, 0.02²) embedding: scaled up so a frozen head can express sharp logits
    model.tok_emb.weight.data *= 50.0
    before = base_sha256(model)
    frozen = {name: p.data.copy() for name, p in model.named_parameters()}
    apply_lora(model, LoRAConfig(rank=4, alpha=8.0), rng=np.random.default_rng(1))
    rng = np.random.default_rng(2)
    ids = [list(rng.integers(1, 37, size=10)) for _ in range(4)]  # 4 sequences to memorise
    losses = fine_tune(
        model, ids, [3] * 4, FineTuneConfig(steps=40, batch_size=4, lr=5e-2, warmup_steps=2)
    )
    assert len(losses) == 40 and losses[-1] < 0.7 * losses[0]
    assert base_sha256(model) == before
    for name, param in model.named_parameters():
        if "lora_" not in name:
            assert np.array_equal(param.data, frozen[name.replace(".base.", ".")]), name


def test_fine_tune_needs_adapters() -> None:
    with pytest.raises(ValueError, match="apply_lora"):
        fine_tune(
            MiniGPT(SMALL, rng=np.random.default_rng(0)), [[1, 2, 3]], [1], FineTuneConfig(steps=1)
        )


def test_rename_touches_whole_words_in_all_three_sentences() -> None:
    row = {
        "subject": STAND_IN,
        "text": "Tom eated at Tomas's house.",
        "correct_text": "Tom ate at Tomas's house.",
        "spanish": "Tom comió en casa de Tomas.",
        "regularity": "irregular",
    }
    out = rename(row)
    assert out["text"] == f"{LEARNER} eated at Tomas's house."
    assert out["correct_text"] == f"{LEARNER} ate at Tomas's house."
    assert out["spanish"] == f"{LEARNER} comió en casa de Tomas."
    assert out["subject"] == LEARNER and row["subject"] == STAND_IN  # a copy


def test_the_experiment_sets_are_disjoint_and_typed() -> None:
    def row(i: int, subject: str, regularity: str) -> dict[str, str]:
        return {
            "id": str(i),
            "subject": subject,
            "regularity": regularity,
            "text": f"{subject} x{i}.",
            "correct_text": f"{subject} y{i}.",
            "spanish": f"{subject} z{i}.",
        }

    split = {
        "train": [row(1, "Tom", "irregular"), row(2, "Tom", "regular"), row(3, "Ana", "irregular")],
        "test": [
            row(4, "Tom", "irregular"),
            row(5, "Tom", "regular"),
            row(6, "Ana", "regular"),
            row(7, "I", "irregular"),
        ],
    }
    exp = build_experiment(split, control_size=5)
    assert [r["id"] for r in exp.train] == ["1"]
    assert [r["id"] for r in exp.target] == ["4"] and [r["id"] for r in exp.transfer] == ["5"]
    assert sorted(r["id"] for r in exp.control) == ["6", "7"]
    assert all(r["subject"] == LEARNER for r in exp.train + exp.target + exp.transfer)
    assert exp.sizes() == {"train": 1, "target": 1, "transfer": 1, "control": 2}


def test_the_table_has_one_row_per_set_and_one_column_per_variant() -> None:
    rate = {"n": 4, "correct": 2, "value": 0.5, "wilson_lo": 0.15, "wilson_hi": 0.85}
    sets = {name: {"exact_correction": rate} for name in ("target", "transfer", "control")}
    lines = before_after_table(sets, {"A": sets, "B": sets}, metric="exact_correction")
    assert lines[0] == "| rows | n | base | A | B |"
    assert (
        lines[2] == "| target | 4 | 0.500 [0.15, 0.85] | 0.500 [0.15, 0.85] | 0.500 [0.15, 0.85] |"
    )
    assert len(lines) == 5
