"""The tutor's training recipe learns the job, not just the loss: a one-minute run corrects held-out sentences.

A small MiniGPT trained for a fixed number of steps (seeded, so the outcome is deterministic and only its
duration depends on the machine) on one tense of the v1.1 frame split, with the loss on the target side,
must correct erroneous *test* sentences — frames it never saw — far more often than the same model untrained.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from lynx_cortex.paths import data_dir
from minicorpus.tutor_build import load_tutor_split
from minieval.correction import case_of, evaluate_correction
from minimodel.data import encode_rows, load_tokenizer
from minimodel.mini_gpt import MiniGPT, MiniGPTConfig
from minitrain.config import TrainConfig
from minitrain.trainer import Trainer

TENSE = "present_simple"
STEPS = 360
TEST_ROWS = 80


def test_a_short_seeded_run_learns_to_correct_held_out_sentences() -> None:
    parts = load_tutor_split(Path(data_dir()) / "tutor", "frames")
    train = [r for r in parts["train"] if r["tense"] == TENSE]
    val = [r for r in parts["val"] if r["tense"] == TENSE][:64]
    test = [r for r in parts["test"] if r["tense"] == TENSE and r["error_type"]][:TEST_ROWS]
    assert len(test) == TEST_ROWS and all(case_of(r).erroneous for r in test)
    tokenizer = load_tokenizer()
    cfg = MiniGPTConfig(
        vocab_size=tokenizer.vocab_size, d_model=64, n_heads=2, n_layers=2, d_ff=256, context_len=96
    )
    model = MiniGPT(cfg, rng=np.random.default_rng(0))
    before = evaluate_correction(model, tokenizer, test)["exact_correction"]
    config = TrainConfig(
        steps=STEPS,
        batch_size=16,
        lr_max=3e-3,
        lr_min=3e-4,
        warmup_steps=20,
        eval_every=STEPS,
        data="tutor",
        target_only=True,
    )
    train_set, val_set = encode_rows(tokenizer, train), encode_rows(tokenizer, val)
    trainer = Trainer(
        model,
        train_set.ids,
        val_set.ids,
        config,
        context_len=cfg.context_len,
        train_prompt_lens=train_set.prompt_lens,
        val_prompt_lens=val_set.prompt_lens,
        progress=False,
    )
    with threadpool_limits(limits=1, user_api="blas"):
        trainer.fit()
    after = evaluate_correction(model, tokenizer, test)["exact_correction"]
    print(
        f"exact correction on {TEST_ROWS} held-out erroneous sentences: {before:.3f} -> {after:.3f}"
    )
    assert before <= 0.05
    assert after >= 0.5, f"trained model corrects only {after:.3f} of held-out sentences"
