"""Constrained generation with a real (random, untrained) MiniGPT over the BPE vocabulary: always valid JSON."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest

from lynx_cortex.errors import LynxError
from miniinfer.beam import beam_search
from miniinfer.sampling import Greedy, Strategy, Temperature, TopK, TopP
from minimodel.data import load_tokenizer
from minimodel.mini_gpt import MiniGPT, MiniGPTConfig
from ministruct.constrained import decode_bytes, masked_generate, token_mask
from ministruct.schemas import conjugation_schema


def _model(seed: int) -> MiniGPT:
    cfg = MiniGPTConfig(vocab_size=1024, d_model=16, n_heads=2, n_layers=1, d_ff=32, context_len=32)
    return MiniGPT(cfg, rng=np.random.default_rng(seed))


@pytest.mark.parametrize(
    "strategy", [Greedy(), Temperature(1.0), Temperature(3.0), TopK(5), TopP(0.9, tau=2.0)]
)
def test_every_masked_generation_parses_and_validates(strategy: Strategy) -> None:
    tokenizer = load_tokenizer()
    schema = conjugation_schema()
    mask = token_mask(schema, tokenizer)
    model = _model(0)
    for seed in range(6):
        out = masked_generate(model, mask, [1, 300], strategy=strategy, seed=seed)
        jsonschema.validate(json.loads(out.text), schema)
        assert out.ids[-1] == 1  # ended by <|endoftext|>, legal only once the JSON is complete


def test_regex_mask_output_fullmatches() -> None:
    mask = token_mask("[0-9]{4}", load_tokenizer())
    out = masked_generate(_model(1), mask, [1], strategy=Temperature(2.0), seed=3)
    assert len(out.text) == 4 and out.text.isdigit()


def test_budget_that_runs_out_is_an_error_not_a_truncated_output() -> None:
    mask = token_mask(conjugation_schema(), load_tokenizer())
    with pytest.raises(LynxError, match="not complete"):
        masked_generate(_model(2), mask, [1], strategy=Greedy(), seed=0, max_new_tokens=3)


@pytest.mark.parametrize("width", [1, 3])
def test_beam_search_under_the_schema_mask_validates(width: int) -> None:
    tokenizer = load_tokenizer()
    schema = conjugation_schema()
    mask = token_mask(schema, tokenizer)
    out = beam_search(
        _model(4), [1, 300], width=width, max_new_tokens=120, stop_ids=[1], mask=mask.mask_fn()
    )
    assert out[-1] == 1
    jsonschema.validate(json.loads(decode_bytes(mask.vocab, out[:-1])), schema)


def test_pure_mask_fn_equals_the_session() -> None:
    mask = token_mask(conjugation_schema(), load_tokenizer())
    out = masked_generate(_model(5), mask, [1], strategy=Temperature(2.0), seed=1)
    pure, session = mask.mask_fn(), mask.session()
    for i in range(len(out.ids)):
        np.testing.assert_array_equal(pure(i, tuple(out.ids[:i])), session(i, tuple(out.ids[:i])))
    np.testing.assert_array_equal(pure(0, ()), mask.allowed(mask.start))  # any prefix, any order
