"""Phase 21-22: the decode loop — one forward pass, one strategy call, one appended token, repeat.

`generate` works against two small protocols rather than `MiniGPT` itself, so tests can drive it with a fake
model and any model that keeps the contract (the NumPy MiniGPT, a torch port, a quantised model) plugs in:

- `LanguageModel`: `model(ids)` with ids `(1, T)` int64 returns logits `(1, T, V)` (a `minigrad.Tensor` or an
  ndarray), and `model.config.context_len` is the longest window it accepts.
- `CachedLanguageModel` adds `prefill(ids (1, T)) -> (1, T, V)` (reset the cache, fill it with the window) and
  `decode(ids (1, 1)) -> (1, 1, V)` (append one position, attend over the cache).

With `cache=False` every step recomputes the whole window: O(T^2) attention work per token, the baseline phase 22
measures. With `cache=True` and a model that has `prefill`/`decode`, the prompt is prefilled once and each new
token costs one decode call (`MiniGPT` has both, backed by `minimodel.kv_cache.KVCache`). A model without
those methods silently falls back to the uncached path. When the
sequence outgrows `context_len`, the window is cropped to the last `context_len` tokens; the cached path then
re-prefills the cropped window (positions restart at 0, which is exactly what the uncached path computes).
`window="slide"` avoids those prefills for RoPE models: sliding-window attention, a different (documented)
function of the sequence, see `minimodel.infer`. `kv_cache="paged"` (phase 27) keeps a `MiniGPT`'s keys and values
in `minimodel.paged_kv`'s block pool instead (the graph path): the same tokens, memory taken block by block.

Masks (phase 30). `mask(step, generated) -> bool (V,)` is applied to the raw logits (illegal ids become -inf)
*before* the strategy, so the order is mask → temperature → top-k / top-p → draw. Masking first is what makes
the guarantee hold: top-k and top-p then rank and truncate among legal tokens only. The other way round, top-k
could keep k tokens that are all illegal and the mask would empty the distribution, and top-p's nucleus would
be measured on mass the mask then throws away (the kept set would depend on illegal tokens). Temperature
commutes with the mask (-inf / tau is still -inf); the result is the model's distribution conditioned on the
legal set, p(t | t legal) = p(t) / Z with Z the legal mass. A mask that allows nothing raises instead of
sampling: an empty legal set is a grammar or vocabulary bug, never a silent stop. `ministruct.mask` builds
such masks from regexes and JSON Schemas.

With the cache, a plain `MiniGPT` is decoded by `minimodel.infer.FastMiniGPT`, the same weights on plain
NumPy arrays with no autograd graph: the same tokens, several times faster. `miniinfer.batched.greedy_batch`
decodes many prompts at once on the same path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from minigrad.tensor import no_grad
from miniinfer.sampling import Strategy
from minimodel.infer import FastMiniGPT, as_fast
from minimodel.mini_gpt import MiniGPT
from minimodel.paged_kv import PagedDecoder

Window = Literal["recompute", "slide"]
#: What cached generation does once the window is full: crop and prefill again (exactly the uncached path),
#: or keep decoding with sliding-window attention (RoPE models on the array path; see `minimodel.infer`).
WINDOWS: tuple[Window, ...] = ("recompute", "slide")

KVLayout = Literal["contiguous", "paged"]
#: Where cached generation keeps keys and values: one preallocated array per layer, or fixed-size blocks.
KV_LAYOUTS: tuple[KVLayout, ...] = ("contiguous", "paged")

MaskFn = Callable[[int, tuple[int, ...]], np.ndarray]
"""`(step, generated_ids) -> bool (V,)`: which ids may come next (phase 30's constrained decoding)."""


class HasContextLen(Protocol):
    @property
    def context_len(self) -> int: ...


class LanguageModel(Protocol):
    @property
    def config(self) -> HasContextLen: ...

    def __call__(self, ids: np.ndarray) -> Any: ...


@runtime_checkable
class CachedLanguageModel(Protocol):
    def prefill(self, ids: np.ndarray) -> Any: ...

    def decode(self, ids: np.ndarray) -> Any: ...


def _as_logits(output: Any, length: int) -> np.ndarray:
    """The last position's logits `(V,)` from a `(1, T, V)` Tensor or array, checking the shape."""
    data = np.asarray(getattr(output, "data", output))
    if data.ndim != 3 or data.shape[0] != 1 or data.shape[1] != length:
        raise ValueError(f"model returned logits of shape {data.shape}, expected (1, {length}, V)")
    last: np.ndarray = data[0, -1]  # (V,)
    return last


def _check_ids(name: str, ids: Iterable[int]) -> tuple[int, ...]:
    out = tuple(ids)
    for i, tok in enumerate(out):
        if isinstance(tok, bool) or not isinstance(tok, int | np.integer) or tok < 0:
            raise ValueError(f"{name}[{i}] must be a non-negative integer token id, got {tok!r}")
    return tuple(int(t) for t in out)


def apply_mask(mask: MaskFn, step: int, generated: Sequence[int], logits: np.ndarray) -> np.ndarray:
    """`logits` (V,) with the ids `mask` forbids at this step set to -inf (checked: bool (V,), not empty)."""
    allowed = np.asarray(mask(step, tuple(generated)))
    if allowed.dtype != np.bool_ or allowed.shape != logits.shape:
        raise ValueError(
            f"mask at step {step} must return a bool array of shape {logits.shape}, "
            f"got {allowed.dtype} {allowed.shape}"
        )
    if not allowed.any():
        raise ValueError(f"mask at step {step} allows no token (generated so far: {generated})")
    masked: np.ndarray = np.where(allowed, logits, -np.inf)  # (V,)
    return masked


def check_window(model: Any, window: str) -> None:
    """Refuse `window="slide"` for a model that cannot slide (only RoPE models on the array path can)."""
    if window not in WINDOWS:
        raise ValueError(f"window must be one of {WINDOWS}, got {window!r}")
    if window == "slide" and not (isinstance(model, FastMiniGPT) and model.cfg.pos == "rope"):
        raise ValueError(
            "window='slide' needs a MiniGPT with RoPE positions (absolute positions cannot go past "
            "context_len); use window='recompute'"
        )


def generate(
    model: LanguageModel,
    prompt_ids: Sequence[int],
    *,
    max_new_tokens: int,
    strategy: Strategy,
    seed: int,
    cache: bool = True,
    stop_ids: Iterable[int] = (),
    mask: MaskFn | None = None,
    window: Window = "recompute",
    kv_cache: KVLayout = "contiguous",
) -> list[int]:
    """The new token ids (the prompt excluded); a stop id ends generation and is included as the last id.

    Same model, prompt, strategy and seed give the same ids: the strategy draws from one generator seeded
    here, and the cached and uncached paths feed it identical logits. With the cache, a plain `MiniGPT` runs
    on `minimodel.infer.FastMiniGPT` (plain arrays, no graph; the same tokens). `window` says what happens
    once the window is full (`WINDOWS`); `kv_cache="paged"` decodes a `MiniGPT` on the paged cache instead.
    """
    prompt = _check_ids("prompt_ids", prompt_ids)
    if not prompt:
        raise ValueError("prompt_ids must hold at least one token (start with <|endoftext|>)")
    if (
        isinstance(max_new_tokens, bool)
        or not isinstance(max_new_tokens, int)
        or max_new_tokens < 0
    ):
        raise ValueError(f"max_new_tokens must be an integer >= 0, got {max_new_tokens!r}")
    stops = frozenset(_check_ids("stop_ids", stop_ids))
    context_len = int(model.config.context_len)
    if context_len < 1:
        raise ValueError(f"model.config.context_len must be >= 1, got {context_len}")
    use_cache = cache and isinstance(model, CachedLanguageModel)
    if kv_cache not in KV_LAYOUTS:
        raise ValueError(f"kv_cache must be one of {KV_LAYOUTS}, got {kv_cache!r}")
    if use_cache and kv_cache == "paged":
        if not isinstance(model, MiniGPT):
            raise ValueError("kv_cache='paged' needs a MiniGPT")
        model = PagedDecoder(model)
    elif use_cache:
        model = as_fast(model)
    elif window == "slide":
        raise ValueError("window='slide' needs the KV cache (cache=True)")
    check_window(model, window)
    slide = window == "slide"

    rng = np.random.default_rng(seed)
    tokens = list(prompt)
    generated: list[int] = []
    window_len = 0  # positions currently held by the model's cache
    with no_grad():
        for step in range(max_new_tokens):
            view = tokens[-context_len:]  # the window the model sees
            if use_cache and slide and window_len:
                new = np.array([[tokens[-1]]], dtype=np.int64)  # (1, 1)
                logits = _as_logits(model.decode(new, slide=True), 1)  # type: ignore[attr-defined]
            elif use_cache and 0 < window_len < context_len and len(view) == window_len + 1:
                new = np.array([[tokens[-1]]], dtype=np.int64)  # (1, 1)
                logits = _as_logits(model.decode(new), 1)  # type: ignore[attr-defined]
            else:
                ids = np.array([view], dtype=np.int64)  # (1, T)
                call = model.prefill if use_cache else model  # type: ignore[attr-defined]
                logits = _as_logits(call(ids), len(view))
            window_len = len(view)
            if mask is not None:
                logits = apply_mask(mask, step, generated, logits)
            nxt = int(strategy(logits, rng))
            if not 0 <= nxt < logits.shape[0]:
                raise ValueError(
                    f"strategy returned id {nxt} outside the vocabulary [0, {logits.shape[0]})"
                )
            tokens.append(nxt)
            generated.append(nxt)
            if nxt in stops:
                break
    return generated


__all__ = [
    "WINDOWS",
    "KV_LAYOUTS",
    "CachedLanguageModel",
    "KVLayout",
    "LanguageModel",
    "MaskFn",
    "Window",
    "apply_mask",
    "check_window",
    "generate",
]
