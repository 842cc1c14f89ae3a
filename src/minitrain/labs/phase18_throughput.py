"""Phase 18 lab: training tokens/s of the NumPy MiniGPT against the same network in PyTorch on the CPU.

Both sides start from the same weights (`load_numpy_state`), read the same batches and do the same step
(token-mean loss → backward → global-norm clip 1.0 → AdamW), with NumPy's BLAS (threadpoolctl) and PyTorch's
intra-op pool (`torch.set_num_threads`) limited to the same number of threads, 1 by default. Timing alternates
blocks (NumPy, torch, NumPy, torch, …) so a neighbour loading the shared machine slows both blocks of a round
alike; each round gives one minigrad/torch time ratio and the lab reports their median
(`minigrad_time_over_torch`, the slowdown issue #28 tracks). Only ratios are meaningful, never the absolute
numbers. The shapes (`CASES`) are the phase's own batches of `tiny` and `grammar`, the same models on full
windows (32 and 64 tokens), and the larger grammar candidate (`GRAMMAR_WIDE`, 32 windows of 48 tokens). Without torch
the lab still times MiniGPT and says why the other side is missing.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from lynx_cortex.labkit import interleaved_seconds, paired_median_ratio, settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import LabContext, lab
from minigrad.bench import blas_kernel
from minigrad.gcpause import gc_paused
from minigrad.optim import AdamW, clip_grad_norm_
from minimodel.mini_gpt import GRAMMAR_WIDE, MiniGPT, MiniGPTConfig, named_config
from minitrain.batcher import Batch, Batcher
from minitrain.labs._corpus import corpus
from minitrain.trainer import param_groups

LR, CLIP, DECAY = 3e-4, 1.0, 0.1


@dataclass(frozen=True)
class Case:
    """One timed shape: a model config, rows per batch, and the row length (None: the corpus rows as they
    come, padded to the longest in the batch — the phase's own batches; a number: full windows of that many
    tokens cut from the corpus stream, every target counted)."""

    config: str  # "tiny", "grammar" or "wide"
    batch_size: int
    length: int | None

    def model_config(self, vocab_size: int) -> MiniGPTConfig:
        if self.config == "wide":
            return replace(GRAMMAR_WIDE, vocab_size=vocab_size)
        return named_config(self.config, vocab_size)


CASES = {
    "tiny": Case("tiny", 8, None),
    "tiny-full-ctx": Case("tiny", 8, 32),
    "grammar": Case("grammar", 16, None),
    "grammar-16x64": Case("grammar", 16, 64),
    "wide-32x48": Case("wide", 32, 48),
}

Step = Callable[[Batch], None]


def numpy_step(model: MiniGPT) -> Step:
    optimizer = AdamW(param_groups(model, DECAY), lr=LR, betas=(0.9, 0.95), weight_decay=DECAY)

    def step(batch: Batch) -> None:
        optimizer.zero_grad()
        with gc_paused():
            model.loss(batch.inputs, batch.targets, batch.loss_mask).backward()
        clip_grad_norm_(optimizer.params, CLIP)
        optimizer.step()

    return step


def torch_step(model: MiniGPT) -> Step:
    """The same step on `GrammarMiniGPT` filled with `model`'s current weights (import needs torch)."""
    from minimodel.torch_minigpt import GrammarMiniGPT, load_numpy_state

    torch: Any = importlib.import_module("torch")

    twin = GrammarMiniGPT(model.cfg)
    load_numpy_state(twin, model.state_dict())
    decay = [p for p in twin.parameters() if p.ndim >= 2]
    rest = [p for p in twin.parameters() if p.ndim < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": DECAY}, {"params": rest, "weight_decay": 0.0}],
        lr=LR,
        betas=(0.9, 0.95),
        eps=1e-8,
    )

    def step(batch: Batch) -> None:
        ids = torch.from_numpy(batch.inputs)  # (B, T)
        targets = torch.from_numpy(np.where(batch.loss_mask, batch.targets, -1))  # (B, T)
        optimizer.zero_grad(set_to_none=True)
        logits = twin(ids)  # (B, T, V)
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1
        )
        loss.backward()
        torch.nn.utils.clip_grad_norm_(twin.parameters(), CLIP)
        optimizer.step()

    return step


def torch_available() -> bool:
    """Whether the PyTorch side can run (torch is an optional dependency)."""
    return importlib.util.find_spec("torch") is not None


def time_block(step: Step, batches: list[Batch]) -> float:
    """Seconds for one pass of `step` over `batches` (the caller turns it into tokens/s)."""
    start = time.perf_counter()
    for batch in batches:
        step(batch)
    return time.perf_counter() - start


def window_batches(
    sequences: list[list[int]],
    *,
    count: int,
    batch_size: int,
    length: int,
    rng: np.random.Generator,
) -> list[Batch]:
    """`count` batches of `batch_size` windows of `length` tokens from the rows laid end to end."""
    stream = np.fromiter((t for row in sequences for t in row), dtype=np.int64)
    if stream.size < length + 2:
        raise ValueError(
            f"the corpus holds {stream.size} tokens, fewer than one window of {length}"
        )
    out = []
    for _ in range(count):
        starts = rng.integers(0, stream.size - length - 1, size=batch_size)
        windows = np.stack([stream[s : s + length + 1] for s in starts])  # (B, T + 1)
        full = np.ones((batch_size, length), dtype=bool)
        out.append(
            Batch(windows[:, :-1], windows[:, 1:], full, full.copy(), starts.astype(np.int64))
        )
    return out


def measure(case: Case, *, steps: int, rounds: int, seed: int, with_torch: bool) -> dict[str, Any]:
    """Alternate blocks of `steps` training steps (minigrad, torch, minigrad, …) on identical batches.

    Each round yields one minigrad/torch time ratio; the median of those paired ratios is the number to
    read (a neighbour's load during one round slows both of its blocks alike).
    """
    data = corpus()
    model = MiniGPT(case.model_config(data.vocab_size), rng=np.random.default_rng(seed))
    if case.length is None:
        batcher = Batcher(
            data.train,
            batch_size=case.batch_size,
            context_len=model.cfg.context_len,
            rng=np.random.default_rng(seed),
        )
        batches = [batcher.next_batch() for _ in range(steps)]
    else:
        batches = window_batches(
            data.train,
            count=steps,
            batch_size=case.batch_size,
            length=case.length,
            rng=np.random.default_rng(seed),
        )
    tokens = sum(b.n_tokens for b in batches)
    sides: dict[str, Step] = {"minigrad": numpy_step(model)}
    if with_torch:
        sides["torch"] = torch_step(
            model
        )  # built before any NumPy step: identical starting weights
    for step in sides.values():
        step(batches[0])  # warm-up: allocators, BLAS buffers, torch's lazy init
    blocks = interleaved_seconds(
        {side: partial(time_block, step, batches) for side, step in sides.items()}, rounds
    )
    rates = {side: tokens / float(np.median(times)) for side, times in blocks.items()}
    result: dict[str, Any] = {
        "config": case.config,
        "batch_size": case.batch_size,
        "row_length": case.length or "corpus rows",
        "steps_per_block": steps,
        "tokens_per_block": tokens,
        "tokens_per_s": rates,
        "block_seconds": blocks,
    }
    if "torch" in rates:
        result["torch_over_minigrad"] = rates["torch"] / rates["minigrad"]
        # the slowdown, paired median
        result["minigrad_time_over_torch"] = paired_median_ratio(
            blocks["minigrad"], blocks["torch"]
        )
    return result


@lab(
    "18-throughput",
    title="Training tokens/s: MiniGPT on minigrad vs the same network in PyTorch (CPU, same threads)",
)
def throughput(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"steps": 1, "rounds": 2, "cases": ["tiny"], "threads": 1},
            "default": {"steps": 4, "rounds": 5, "cases": list(CASES), "threads": 1},
            "full": {"steps": 10, "rounds": 9, "cases": list(CASES), "threads": 1},
        },
    )
    threads = int(cfg["threads"])
    has_torch = torch_available()
    note = None if has_torch else "torch is not installed: only the minigrad side was timed"
    torch_info: dict[str, Any] = {}
    torch: Any = importlib.import_module("torch") if has_torch else None
    previous = int(torch.get_num_threads()) if torch is not None else 0
    results: dict[str, Any] = {}
    try:
        if torch is not None:
            torch.set_num_threads(threads)  # both sides get the same number of threads
            torch_info = {"version": torch.__version__, "threads": threads}
        with threadpool_limits(limits=threads, user_api="blas"):
            blas = blas_kernel()
            for name in cfg["cases"]:
                results[name] = measure(
                    CASES[name],
                    steps=cfg["steps"],
                    rounds=cfg["rounds"],
                    seed=ctx.seed,
                    with_torch=has_torch,
                )
    finally:
        if torch is not None:
            torch.set_num_threads(previous)
    fig, ax = figure(width=8)
    names = list(results)
    x = np.arange(len(names))
    for offset, side, colour in ((-0.2, "minigrad", "tab:blue"), (0.2, "torch", "tab:orange")):
        if side in results[names[0]]["tokens_per_s"]:
            rates = [results[n]["tokens_per_s"][side] for n in names]
            bars = ax.bar(x + offset, rates, width=0.4, color=colour, label=side)
            ax.bar_label(bars, fmt="%.0f", fontsize=7)
    labels = [
        n + (f"\n{results[n]['minigrad_time_over_torch']:.2f}× torch's time" if has_torch else "")
        for n in names
    ]
    ax.set_xticks(x, labels, fontsize=7)
    ax.set_ylabel("training tokens / s (median block)")
    ax.set_title(f"{threads} thread(s) each; " + (note or blas["kernel"]), fontsize=8, wrap=True)
    ax.legend(fontsize=8)
    save_png(fig, ctx.out_dir / "throughput.png", title="One AdamW training step, same weights")
    return {
        "threads": threads,
        "torch": torch_info,
        "blas_kernel": blas["kernel"],
        "note": note,
        "load_average_1min": os.getloadavg()[0],  # > cores: other processes shared the CPUs
        "cases": {
            name: {
                "config": CASES[name].config,
                "batch_size": CASES[name].batch_size,
                "row_length": CASES[name].length,
            }
            for name in results
        },
        "configs": results,
    }


__all__ = [
    "CASES",
    "Case",
    "measure",
    "numpy_step",
    "torch_available",
    "torch_step",
    "window_batches",
]
