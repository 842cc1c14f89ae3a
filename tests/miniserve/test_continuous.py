"""Continuous batching gives every request exactly the tokens unbatched `generate` gives it alone."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minicorpus.framing import BOS
from miniinfer.continuous import ContinuousBatcher, DecodeRequest, fits
from miniinfer.generate import generate
from miniinfer.prompting import prompt_ids
from miniinfer.sampling import Greedy, Temperature, TopK
from minimodel.data import load_tokenizer
from minimodel.infer import FastMiniGPT
from minimodel.mini_gpt import MiniGPT, MiniGPTConfig
from minimodel.shipped import load_shipped_model
from minimodel.slots import SlotMiniGPT
from ministruct.constrained import token_mask

SENTENCES = (
    "Yesterday she goed to the market.",
    "He walk.",
    "I will to eat an apple tomorrow morning with my best friend.",
    "She has went home.",
    "We",
    "The dog run in the park every day.",
)


@cache
def _shipped() -> MiniGPT:
    return load_shipped_model("grammar").model


@cache
def _stop() -> int:
    return load_tokenizer().encode(BOS, allowed_special={BOS})[0]


def _requests() -> list[DecodeRequest]:
    tok = load_tokenizer()
    strategies = (Greedy(), Temperature(0.8), Greedy(), TopK(5, 1.2), Greedy(), Temperature(1.5))
    return [
        DecodeRequest(
            prompt_ids(tok, s), 20 + 3 * i, strategies[i], seed=i, stop_ids=frozenset({_stop()})
        )
        for i, s in enumerate(SENTENCES)
    ]


def _alone(model: MiniGPT, request: DecodeRequest) -> list[int]:
    return generate(
        model,
        request.prompt,
        max_new_tokens=request.max_new_tokens,
        strategy=request.strategy,
        seed=request.seed,
        stop_ids=request.stop_ids,
        mask=request.mask,
    )


def _run(
    model: MiniGPT, slots: int, requests: list[DecodeRequest], arrive: list[int]
) -> dict[int, list[int]]:
    """Request i arrives before step arrive[i] and is admitted as soon as a slot is free (FIFO)."""
    batcher = ContinuousBatcher(model, slots)
    out: dict[int, list[int]] = {}
    owner: dict[int, int] = {}
    waiting: list[int] = []
    order = sorted(range(len(requests)), key=lambda i: arrive[i])
    step = 0
    live_max = 0
    while order or waiting or batcher.live:
        while order and arrive[order[0]] <= step:
            waiting.append(order.pop(0))
        while waiting and batcher.free_slots:
            i = waiting.pop(0)
            owner[batcher.admit(requests[i])] = i
            out[i] = []
        live_max = max(live_max, batcher.live)
        for event in batcher.step():
            if event.token is not None:
                out[owner[event.handle]].append(event.token)
        step += 1
    assert live_max <= slots
    return out


def test_staggered_arrivals_give_the_unbatched_tokens() -> None:
    model = _shipped()
    requests = _requests()
    expected = [_alone(model, r) for r in requests]
    got = _run(model, 3, requests, arrive=[0, 0, 2, 3, 5, 9])
    assert [got[i] for i in range(len(requests))] == expected
    assert len({len(e) for e in expected}) > 2  # the rows really had different lengths


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    slots=st.integers(1, 5),
    arrive=st.lists(st.integers(0, 12), min_size=len(SENTENCES), max_size=len(SENTENCES)),
)
def test_any_schedule_gives_the_unbatched_tokens(slots: int, arrive: list[int]) -> None:
    model = _shipped()
    requests = _requests()
    got = _run(model, slots, requests, arrive)
    assert [got[i] for i in range(len(requests))] == _expected()


@cache
def _expected_cached() -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(_alone(_shipped(), r)) for r in _requests())


def _expected() -> list[list[int]]:
    return [list(e) for e in _expected_cached()]


def test_masked_rows_match_masked_generate() -> None:
    model = _shipped()
    tok = load_tokenizer()
    grammar = token_mask("(yes|no|maybe) [a-z]{1,6}", tok)
    requests = [
        DecodeRequest(
            prompt_ids(tok, s), 12, Greedy(), stop_ids=frozenset({_stop()}), mask=grammar.session()
        )
        for s in SENTENCES[:3]
    ]
    solo = [
        DecodeRequest(r.prompt, 12, Greedy(), stop_ids=r.stop_ids, mask=grammar.session())
        for r in requests
    ]
    got = _run(model, 2, requests, arrive=[0, 1, 1])
    assert [got[i] for i in range(3)] == [_alone(model, r) for r in solo]


def test_slot_logits_equal_the_fast_path_on_random_weights() -> None:
    for pos in ("rope", "learned"):
        cfg = MiniGPTConfig(
            vocab_size=50, d_model=32, n_heads=4, n_layers=2, d_ff=64, context_len=16, pos=pos
        )
        model = MiniGPT(cfg, rng=np.random.default_rng(3))
        rng = np.random.default_rng(0)
        prompts = [rng.integers(0, 50, size=n).tolist() for n in (3, 7, 1)]
        slots = SlotMiniGPT(model, 3)
        for slot, prompt in enumerate(prompts):
            solo = FastMiniGPT(model)
            expected = solo.prefill(np.array([prompt]))[0, -1]
            np.testing.assert_allclose(slots.prefill_slot(slot, prompt), expected, atol=1e-5)
        nxt = [5, 9, 11]
        batched = slots.decode_slots([0, 1, 2], nxt)  # (3, V), rows at positions 3, 7, 1
        for row, (prompt, token) in enumerate(zip(prompts, nxt, strict=True)):
            full = FastMiniGPT(model)(np.array([[*prompt, token]]))[0, -1]  # uncached oracle
            np.testing.assert_allclose(batched[row], full, atol=1e-5)


def test_slots_refuse_what_they_cannot_hold() -> None:
    cfg = MiniGPTConfig(vocab_size=20, d_model=16, n_heads=2, n_layers=1, d_ff=32, context_len=4)
    model = MiniGPT(cfg, rng=np.random.default_rng(0))
    slots = SlotMiniGPT(model, 2)
    with pytest.raises(ValueError, match="prefilled first"):
        slots.decode_slots([0], [1])
    slots.prefill_slot(0, [1, 2, 3, 4])
    with pytest.raises(ValueError, match="full"):
        slots.decode_slots([0], [1])
    with pytest.raises(ValueError, match="distinct"):
        slots.decode_slots([1, 1], [1, 2])
    with pytest.raises(ValueError, match="outside"):
        slots.prefill_slot(2, [1])
    batcher = ContinuousBatcher(model, 1)
    batcher.admit(DecodeRequest([1], 3, Greedy()))
    with pytest.raises(RuntimeError, match="no free slot"):
        batcher.admit(DecodeRequest([1], 3, Greedy()))
    with pytest.raises(ValueError, match="does not fit"):
        ContinuousBatcher(model, 1).admit(DecodeRequest([1, 2, 3], 3, Greedy()))
    assert fits(3, 2, 4) and not fits(3, 3, 4) and fits(4, 1, 4) and not fits(0, 1, 4)


def test_a_cancelled_sequence_frees_its_slot() -> None:
    model = _shipped()
    batcher = ContinuousBatcher(model, 1)
    first = batcher.admit(_requests()[0])
    batcher.step()
    batcher.cancel(first)
    assert batcher.free_slots == 1 and batcher.live == 0
    request = _requests()[1]
    handle = batcher.admit(request)
    tokens = []
    while batcher.live:
        tokens += [e.token for e in batcher.step() if e.handle == handle and e.token is not None]
    assert tokens == _alone(model, request)
