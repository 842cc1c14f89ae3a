"""greedy_batch: each row gets exactly what generate(..., Greedy(), stop_ids=[stop]) gives it alone."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from miniinfer.batched import greedy_batch
from miniinfer.generate import generate
from miniinfer.sampling import Greedy
from minimodel.mini_gpt import MiniGPT, MiniGPTConfig

CFG = MiniGPTConfig(vocab_size=29, d_model=16, n_heads=2, n_layers=2, d_ff=32, context_len=10)


def model_for(seed: int = 0, pos: str = "rope") -> MiniGPT:
    cfg = MiniGPTConfig(**{**CFG.to_dict(), "pos": pos})
    model = MiniGPT(cfg, rng=np.random.default_rng(seed))
    model.tok_emb.weight.data = model.tok_emb.weight.data * 25.0  # decisive, varied greedy choices
    return model


def one_by_one(
    model: Any, prompts: list[list[int]], max_new: int, stop: int | None, **kw: Any
) -> list[list[int]]:
    stops = [] if stop is None else [stop]
    return [
        generate(model, p, max_new_tokens=max_new, strategy=Greedy(), seed=0, stop_ids=stops, **kw)
        for p in prompts
    ]


def prompts_for(seed: int, count: int) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 29, int(rng.integers(1, 14))).tolist() for _ in range(count)]


@pytest.mark.parametrize("batch_size", [1, 3, 64])
def test_equals_generate_row_by_row(batch_size: int) -> None:
    model = model_for(1)
    prompts = prompts_for(2, 25)  # lengths 1..13: several buckets, some longer than the context
    free = one_by_one(model, prompts, 8, None)
    stop = max({t for row in free for t in row}, key=lambda t: sum(row.count(t) for row in free))
    want = one_by_one(model, prompts, 14, stop)
    assert any(row[-1] == stop and len(row) < 14 for row in want)  # some rows stop early
    assert any(len(row) == 14 and stop not in row for row in want)  # some run out of budget
    assert greedy_batch(model, prompts, 14, stop, batch_size=batch_size) == want


def test_sliding_window_rows_equal_generate_with_slide() -> None:
    model = model_for(3)
    prompts = prompts_for(4, 12)
    want = one_by_one(model, prompts, 16, None, window="slide")
    assert greedy_batch(model, prompts, 16, None, window="slide") == want


def test_graph_models_without_keep_rows_re_prefill_the_rows_left() -> None:
    class Graph(MiniGPT):  # a subclass stays on the graph path, whose cache cannot drop rows
        pass

    model = Graph(CFG, rng=np.random.default_rng(5))
    model.tok_emb.weight.data = model.tok_emb.weight.data * 25.0
    prompts = prompts_for(6, 9)
    free = one_by_one(model, prompts, 6, None)
    stop = free[0][1]
    assert greedy_batch(model, prompts, 12, stop, batch_size=4) == one_by_one(
        model, prompts, 12, stop
    )


def test_zero_budget_and_empty_input() -> None:
    model = model_for()
    assert greedy_batch(model, [[1, 2], [3]], 0, 5) == [[], []]
    assert greedy_batch(model, [], 4, 5) == []


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([[]], 3, 1), r"prompts\[0\] is empty"),
        (([[1, -1]], 3, 1), r"prompts\[0\]\[1\]"),
        (([[1]], -1, 1), "max_new"),
    ],
)
def test_bad_arguments(args: tuple[Any, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        greedy_batch(model_for(), *args)


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        greedy_batch(model_for(), [[1]], 2, None, batch_size=0)
    with pytest.raises(ValueError, match="window"):
        greedy_batch(model_for(), [[1]], 2, None, window="wrap")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="RoPE"):
        greedy_batch(model_for(pos="learned"), [[1]], 2, None, window="slide")
