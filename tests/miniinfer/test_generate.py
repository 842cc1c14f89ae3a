"""The decode loop against tiny deterministic fake models."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from minigrad.tensor import Tensor
from miniinfer.generate import generate
from miniinfer.sampling import Greedy, Temperature, TopP

V = 11


@dataclass(frozen=True)
class Cfg:
    context_len: int


def window_logits(ids: list[int]) -> np.ndarray:
    """Logits (T, V) where position t depends on every id in ids[: t + 1] and on t itself."""
    out = np.zeros((len(ids), V))
    for t in range(len(ids)):
        prefix = ids[: t + 1]
        state = sum((i + 1) * (tok + 3) for i, tok in enumerate(prefix)) + 5 * t
        out[t] = np.cos(np.arange(V) * 0.7 + state)  # (V,)
    return out


@dataclass
class FakeModel:
    config: Cfg
    calls: list[int] = field(default_factory=list)

    def __call__(self, ids: np.ndarray) -> Tensor:
        assert ids.shape[0] == 1 and ids.dtype == np.int64
        self.calls.append(ids.shape[1])
        return Tensor(window_logits(ids[0].tolist())[None])  # (1, T, V)


@dataclass
class FakeCachedModel(FakeModel):
    held: list[int] = field(default_factory=list)
    decodes: int = 0

    def prefill(self, ids: np.ndarray) -> np.ndarray:
        self.held = ids[0].tolist()
        self.calls.append(len(self.held))
        return window_logits(self.held)[None]  # (1, T, V)

    def decode(self, ids: np.ndarray) -> np.ndarray:
        assert ids.shape == (1, 1)
        self.held.append(int(ids[0, 0]))
        assert len(self.held) <= self.config.context_len, "decode past the cache"
        self.decodes += 1
        return window_logits(self.held)[-1:][None]  # (1, 1, V)


def test_uncached_recomputes_the_full_prefix_each_step() -> None:
    model = FakeModel(Cfg(context_len=64))
    out = generate(model, [1, 2, 3], max_new_tokens=5, strategy=Greedy(), seed=0, cache=False)
    assert len(out) == 5
    assert model.calls == [3, 4, 5, 6, 7]


def test_greedy_follows_the_argmax_by_hand() -> None:
    model = FakeModel(Cfg(context_len=64))
    out = generate(model, [4], max_new_tokens=3, strategy=Greedy(), seed=0, cache=False)
    ids = [4]
    for _ in range(3):
        ids.append(int(np.argmax(window_logits(ids)[-1])))
    assert out == ids[1:]


def test_context_window_is_cropped_to_the_last_tokens() -> None:
    model = FakeModel(Cfg(context_len=4))
    prompt = [1, 2, 3, 4, 5, 6]
    out = generate(model, prompt, max_new_tokens=3, strategy=Greedy(), seed=0, cache=False)
    assert model.calls == [4, 4, 4]
    expected_first = int(np.argmax(window_logits([3, 4, 5, 6])[-1]))
    assert out[0] == expected_first


@pytest.mark.parametrize("context_len", [5, 64])
@pytest.mark.parametrize("strategy", [Greedy(), Temperature(0.9), TopP(0.8, tau=1.2)])
def test_cached_and_uncached_give_identical_tokens(context_len: int, strategy: object) -> None:
    plain = FakeModel(Cfg(context_len))
    cached = FakeCachedModel(Cfg(context_len))
    kwargs = {"max_new_tokens": 12, "strategy": strategy, "seed": 7}
    a = generate(plain, [2, 9, 1], cache=False, **kwargs)  # type: ignore[arg-type]
    b = generate(cached, [2, 9, 1], cache=True, **kwargs)  # type: ignore[arg-type]
    assert a == b
    assert cached.decodes > 0
    if context_len == 64:
        assert cached.calls == [3]  # one prefill, then only decodes


def test_cache_true_on_a_model_without_cache_falls_back() -> None:
    model = FakeModel(Cfg(context_len=64))
    out = generate(model, [1], max_new_tokens=4, strategy=Greedy(), seed=0, cache=True)
    assert len(out) == 4 and model.calls == [1, 2, 3, 4]


def test_stop_id_ends_generation_and_is_returned() -> None:
    model = FakeModel(Cfg(context_len=64))
    free = generate(model, [1], max_new_tokens=10, strategy=Greedy(), seed=0, cache=False)
    stop = free[2]
    first = free.index(stop)
    out = generate(model, [1], max_new_tokens=10, strategy=Greedy(), seed=0, stop_ids=[stop])
    assert out == free[: first + 1]


def test_mask_hook_restricts_every_step() -> None:
    model = FakeModel(Cfg(context_len=64))
    seen: list[tuple[int, tuple[int, ...]]] = []

    def only_even(step: int, generated: tuple[int, ...]) -> np.ndarray:
        seen.append((step, generated))
        return np.arange(V) % 2 == 0

    out = generate(model, [3], max_new_tokens=6, strategy=Temperature(2.0), seed=1, mask=only_even)
    assert all(t % 2 == 0 for t in out)
    assert [s for s, _ in seen] == list(range(6))
    assert seen[3][1] == tuple(out[:3])


def test_same_seed_same_tokens_different_seed_differs() -> None:
    model = FakeModel(Cfg(context_len=64))
    run = [
        generate(model, [1], max_new_tokens=20, strategy=Temperature(3.0), seed=s, cache=False)
        for s in (5, 5, 6)
    ]
    assert run[0] == run[1] != run[2]


def test_zero_new_tokens_returns_nothing_without_calling_the_model() -> None:
    model = FakeModel(Cfg(context_len=8))
    assert generate(model, [1], max_new_tokens=0, strategy=Greedy(), seed=0) == []
    assert model.calls == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"prompt_ids": []}, "at least one token"),
        ({"prompt_ids": [1, -2]}, r"prompt_ids\[1\]"),
        ({"max_new_tokens": -1}, "max_new_tokens"),
        ({"stop_ids": ["x"]}, r"stop_ids\[0\]"),
        ({"mask": lambda s, g: np.ones(V)}, "bool array"),
        ({"mask": lambda s, g: np.zeros(V, dtype=bool)}, "allows no token"),
        ({"strategy": lambda logits, rng: V + 3}, "outside the vocabulary"),
    ],
)
def test_bad_arguments_raise(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {
        "prompt_ids": [1],
        "max_new_tokens": 2,
        "strategy": Greedy(),
        "seed": 0,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        generate(FakeModel(Cfg(context_len=8)), **args)  # type: ignore[arg-type]


def test_wrong_logit_shape_is_reported() -> None:
    class Flat(FakeModel):
        def __call__(self, ids: np.ndarray) -> Tensor:
            return Tensor(np.zeros((ids.shape[1], V)))

    with pytest.raises(ValueError, match=r"expected \(1, 1, V\)"):
        generate(Flat(Cfg(8)), [1], max_new_tokens=1, strategy=Greedy(), seed=0)
