"""Phase 22 labs and break: what the KV cache costs in memory, what it saves in time, and its classic bug.

- `22-kv-memory`: prefill MiniGPTs at growing lengths and batch sizes and read the bytes the cache really holds,
  next to the closed form 2 · L · B · H · T · Dh · bytes (they must agree to the byte).
- `22-kv-latency`: per-token time of one decode step over a cache of T positions against one uncached forward
  over the same T positions, measured in the same run on one engine at a time (the array path, and the graph
  with its teaching ops); the ratio is what the cache buys at each length.
- Break 22: decode the new token at the previous token's position (off by one). Tokens and logits of cached
  generation then disagree with the uncached loop, which the equality check catches at the first decode step.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.progress import track
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minigrad.tensor import no_grad
from miniinfer.generate import generate
from miniinfer.sampling import Greedy
from minimodel.infer import FastMiniGPT
from minimodel.kv_cache import kv_cache_bytes
from minimodel.mini_gpt import MiniGPT, MiniGPTConfig

VOCAB = 512  # the shipped tokenizer's size; the labs need no trained weights


class OffByOneMiniGPT(MiniGPT):
    """Break 22: the decoded token takes the position of the token before it."""

    def _decode_start(self) -> int:
        return self.kv_cache.length - 1


def _tiny(context_len: int, seed: int, *, cls: type[MiniGPT] = MiniGPT) -> MiniGPT:
    cfg = MiniGPTConfig(vocab_size=VOCAB, context_len=context_len)  # DESIGN §6's tiny shape
    return cls(cfg, rng=np.random.default_rng(seed))


@lab("22-kv-memory", title="KV-cache memory: measured bytes against 2·L·B·H·T·Dh·bytes")
def kv_memory(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"lengths": [1, 8, 16, 32], "batches": [1, 4]},
            "default": {"lengths": [1, 4, 8, 12, 16, 20, 24, 28, 32], "batches": [1, 2, 4, 8]},
        },
    )
    model = _tiny(32, ctx.seed)
    mc = model.cfg
    measured: dict[str, list[int]] = {}
    formula: dict[str, list[int]] = {}
    allocated: dict[str, int] = {}
    for batch in track(cfg["batches"], desc="batch sizes"):
        key = f"B={batch}"
        measured[key], formula[key] = [], []
        for length in cfg["lengths"]:
            ids = ctx.rng.integers(0, VOCAB, size=(batch, length))  # (B, T)
            model.prefill(ids)
            measured[key].append(model.kv_cache.nbytes)
            formula[key].append(
                kv_cache_bytes(
                    n_layers=mc.n_layers,
                    batch=batch,
                    n_heads=mc.n_heads,
                    length=length,
                    d_head=mc.d_head,
                    itemsize=model.dtype.itemsize,
                )
            )
        allocated[key] = model.kv_cache.bytes_allocated  # buffers sized for context_len positions
    model.kv_cache.reset()
    fig, ax = figure()
    for key in measured:
        kib = np.array(measured[key]) / 1024
        ax.plot(cfg["lengths"], kib, marker="o", label=f"measured, {key}")
        ax.plot(cfg["lengths"], np.array(formula[key]) / 1024, "k:", lw=1)
    ax.plot([], [], "k:", label="2·L·B·H·T·Dh·4 bytes")
    ax.set(xlabel="cached positions T", ylabel="KV cache (KiB, float32)")
    ax.legend(fontsize=8)
    save_png(fig, ctx.path("kv_memory.png"), title="KV cache grows linearly in T and in batch")
    per_token = 2 * mc.n_layers * mc.n_heads * mc.d_head * model.dtype.itemsize
    gpt3 = kv_cache_bytes(
        n_layers=96, batch=1, n_heads=96, length=2048, d_head=128, itemsize=2
    )  # fp16, one sequence
    return {
        "lengths": list(cfg["lengths"]),
        "measured_bytes": measured,
        "formula_bytes": formula,
        "matches_formula": measured == formula,
        "allocated_bytes": allocated,
        "context_len": mc.context_len,
        "bytes_per_token_per_sequence": per_token,
        "tiny_28_positions_bytes": 28 * per_token,
        "gpt3_2048_positions_fp16_gb": gpt3 / 1e9,
    }


def _median_seconds(fn: Any, reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _decode_seconds(runner: Any, ids: np.ndarray, reps: int) -> float:
    """Median time of one decode step after T-1 cached positions (the prefill is set-up, not timed)."""
    times = []
    for _ in range(reps):
        runner.prefill(ids[:, :-1])
        t0 = time.perf_counter()
        runner.decode(ids[:, -1:])  # the new token attends over all T positions
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


@lab("22-kv-latency", title="Per-token decode time with and without the KV cache")
def kv_latency(ctx: LabContext) -> Mapping[str, Any]:
    """Cached vs uncached on one engine at a time: the array path (`FastMiniGPT`, what generation runs) and
    the training graph with its teaching ops (`set_fused(False)`, so both graph timings build the same
    kind of graph). Comparing across engines would measure the engines, not the cache."""
    cfg = settings(
        ctx,
        {
            "smoke": {"lengths": [8, 64], "reps": 7},
            "default": {"lengths": [8, 16, 32, 64, 128], "reps": 7},
        },
    )
    lengths: Sequence[int] = cfg["lengths"]
    reps = int(cfg["reps"])
    model = _tiny(max(lengths), ctx.seed).set_fused(False)
    fast = FastMiniGPT(model)
    times: dict[str, dict[str, list[float]]] = {
        engine: {"cached": [], "uncached": []} for engine in ("array", "graph")
    }
    # one BLAS thread: on shared cores a second OpenBLAS thread waits for a busy core and turns
    # millisecond products into 100-millisecond outliers at some sizes
    with no_grad(), threadpool_limits(limits=1, user_api="blas"):
        for length in lengths:
            ids = ctx.rng.integers(0, VOCAB, size=(1, length))  # (1, T)
            for engine, runner in (("array", fast), ("graph", model)):
                # uncached: the loop's next token runs the whole window again
                times[engine]["uncached"].append(
                    _median_seconds(lambda ids=ids, r=runner: r(ids), reps)
                )
                times[engine]["cached"].append(_decode_seconds(runner, ids, reps))
    model.kv_cache.reset()
    ratios = {
        engine: [u / c for u, c in zip(t["uncached"], t["cached"], strict=True)]
        for engine, t in times.items()
    }
    fig, ax = figure()
    for engine, marker in (("array", "o"), ("graph", "s")):
        t = times[engine]
        ax.plot(
            lengths,
            np.array(t["uncached"]) * 1e3,
            marker=marker,
            label=f"{engine}: uncached forward",
        )
        ax.plot(
            lengths,
            np.array(t["cached"]) * 1e3,
            marker=marker,
            ls="--",
            label=f"{engine}: one decode step",
        )
    ax.set(
        xlabel="context length T (positions)",
        ylabel="time per new token (ms)",
        xscale="log",
        yscale="log",
    )
    ax.legend(fontsize=8)
    save_png(fig, ctx.path("kv_latency.png"), title="What the KV cache saves per generated token")
    return {
        "lengths": list(lengths),
        "uncached_s": times["array"]["uncached"],
        "cached_s": times["array"]["cached"],
        "speedup": ratios["array"],
        "speedup_at_longest": ratios["array"][-1],
        "blas_threads": 1,
        "graph": {
            "uncached_s": times["graph"]["uncached"],
            "cached_s": times["graph"]["cached"],
            "speedup": ratios["graph"],
        },
    }


def _compare(model: MiniGPT, prompts: Sequence[Sequence[int]], steps: int) -> dict[str, Any]:
    """Greedy tokens cached vs uncached, and the largest per-step logit gap over forced sequences."""
    same, first_diverged = 0, []
    for prompt in prompts:
        kw: dict[str, Any] = {"max_new_tokens": steps, "strategy": Greedy(), "seed": 0}
        a = generate(model, prompt, cache=True, **kw)
        b = generate(model, prompt, cache=False, **kw)
        same += a == b
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        first_diverged.append(diff[0] if diff else None)
    gaps = []
    for prompt in prompts:
        seq = np.array([list(prompt) + [0] * steps], dtype=np.int64)[:, : model.cfg.context_len]
        full = model.forward(seq).data  # (1, T, V)
        model.prefill(seq[:, : len(prompt)])
        for t in range(len(prompt), seq.shape[1]):
            step = model.decode(seq[:, t : t + 1]).data  # (1, 1, V)
            gaps.append(float(np.abs(step[0, 0] - full[0, t]).max()))
    return {
        "identical_sequences": same,
        "prompts": len(prompts),
        "first_divergence": first_diverged,
        "max_logit_gap": max(gaps),
    }


@breaks(
    22,
    title="KV cache with an off-by-one position index",
    change="decode uses position len(cache) - 1 instead of len(cache)",
)
def off_by_one_break(ctx: LabContext) -> BreakOutcome:
    cfg = settings(
        ctx,
        {
            "smoke": {"prompts": 3, "steps": 12},
            "default": {"prompts": 10, "steps": 24},
        },
    )
    healthy = _tiny(32, ctx.seed)
    broken = _tiny(32, ctx.seed, cls=OffByOneMiniGPT)
    for model in (healthy, broken):
        # random N(0, 0.02²) embeddings give near-flat logits; larger ones make greedy choices decisive
        model.tok_emb.weight.data *= 10.0
    prompts = [
        ctx.rng.integers(0, VOCAB, size=int(ctx.rng.integers(2, 6))).tolist()
        for _ in range(int(cfg["prompts"]))
    ]
    found = {
        name: _compare(model, prompts, int(cfg["steps"]))
        for name, model in (("healthy", healthy), ("broken", broken))
    }
    detected = (
        found["healthy"]["identical_sequences"] == len(prompts)
        and found["healthy"]["max_logit_gap"] < 1e-5
        and found["broken"]["max_logit_gap"] > 1e-3
    )
    return BreakOutcome(
        healthy=found["healthy"],
        broken=found["broken"],
        symptom="cached logits differ from the uncached forward at the first decode step",
        detected=detected,
    )


__all__ = ["OffByOneMiniGPT", "kv_latency", "kv_memory", "off_by_one_break"]
