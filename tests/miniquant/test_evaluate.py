"""The lab's measures: the row subset, answer perplexity against a per-token oracle, pooled accuracy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from minieval.scoring import sequence_nll
from minimodel.data import load_tokenizer
from minimodel.infer import FastMiniGPT
from minimodel.mini_gpt import MiniGPT, MiniGPTConfig
from miniquant.evaluate import answer_ids, answer_perplexity, correction_accuracy, subset

ROWS = [
    {"id": "a", "text": "She walk to school.", "spanish": "Ella camina a la escuela.",
     "error_type": "agreement", "correct_text": "She walks to school."},
    {"id": "b", "text": "They played.", "spanish": "Ellos jugaron.", "label": "correct"},
    {"id": "c", "text": "He go home.", "spanish": "Él va a casa.",
     "error_type": "agreement", "correct_text": "He goes home."},
]  # fmt: skip


def test_subset_is_evenly_spaced_and_stable() -> None:
    rows = [{"i": i} for i in range(10)]
    assert [r["i"] for r in subset(rows, 4)] == [0, 3, 6, 9]
    assert subset(rows, None) == rows and subset(rows, 50) == rows


def test_answer_perplexity_matches_a_token_by_token_oracle() -> None:
    tokenizer = load_tokenizer()
    cfg = MiniGPTConfig(vocab_size=tokenizer.vocab_size, context_len=64)
    fast = FastMiniGPT(MiniGPT(cfg, rng=np.random.default_rng(0)))
    got = answer_perplexity(fast, tokenizer, ROWS)
    total, count = 0.0, 0
    for row in ROWS:
        ids, start = answer_ids(tokenizer, row)
        full, n_full = sequence_nll(fast, ids)  # every token after the first
        prompt, n_prompt = sequence_nll(fast, ids[:start])  # the prompt's own tokens
        total += full - prompt
        count += n_full - n_prompt
    assert got["tokens"] == count
    assert got["perplexity"] == pytest.approx(math.exp(total / count), rel=1e-5)


def test_correction_accuracy_pools_corrected_and_unchanged() -> None:
    tokenizer = load_tokenizer()
    cfg = MiniGPTConfig(vocab_size=tokenizer.vocab_size, context_len=64)
    res = correction_accuracy(MiniGPT(cfg, rng=np.random.default_rng(0)), tokenizer, ROWS)
    assert res["n"] == 3 and res["correct"] == 0  # an untrained model corrects nothing
    assert res["wilson_lo"] == 0.0 < res["wilson_hi"] < 1.0
