from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minieval.generation import pass_at_k_sub_eval, tense_prompts
from minimodel.data import load_tokenizer
from minimodel.mini_gpt import MiniGPT, named_config

ROWS: list[dict[str, Any]] = [
    {
        "tense": "past_simple",
        "label": "mis_conjugated",
        "text": "he goed",
        "correct_form": "he went",
    },
    {"tense": "past_simple", "label": "correct", "text": "I went", "correct_form": None},
    {"tense": "future_will", "label": "correct", "text": "you will eat", "correct_form": None},
]


def test_one_prompt_per_tense_with_its_target() -> None:
    assert tense_prompts(ROWS) == [
        ("past_simple: he goed", "he goed", "he went"),
        ("future_will: you will eat", "you will eat", "you will eat"),
    ]


def test_pass_at_k_table_from_an_untrained_model_is_deterministic() -> None:
    tokenizer = load_tokenizer()
    model = MiniGPT(named_config("tiny", tokenizer.vocab_size), rng=np.random.default_rng(0))
    first = pass_at_k_sub_eval(model, tokenizer, ROWS, samples=4, ks=(1, 4), max_new_tokens=6)
    again = pass_at_k_sub_eval(model, tokenizer, ROWS, samples=4, ks=(1, 4), max_new_tokens=6)
    assert first == again
    assert set(first) == {"past_simple: he goed", "future_will: you will eat"}
    for cell in first.values():
        assert cell["n"] == 4 and 0 <= cell["pass@1"] <= cell["pass@4"] <= 1
    with pytest.raises(ValueError, match="fewer than k"):
        pass_at_k_sub_eval(model, tokenizer, ROWS, samples=2, ks=(1, 4), max_new_tokens=2)
