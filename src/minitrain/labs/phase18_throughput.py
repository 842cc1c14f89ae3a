"""Phase 18 lab: training tokens/s of the NumPy MiniGPT against the same network in PyTorch on the CPU.

Both sides start from the same weights (`load_numpy_state`), read the same batches and do the same step
(token-mean loss → backward → global-norm clip 1.0 → AdamW), with NumPy's BLAS and PyTorch's intra-op pool
limited to the same number of threads. Timing alternates blocks (NumPy, torch, NumPy, torch, …) so a neighbour
loading the shared machine slows both alike, and the best block of each side is compared: only the ratio is
meaningful, never the absolute numbers. Without torch the lab still times MiniGPT and says why the other side
is missing.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import LabContext, lab
from minigrad.bench import blas_kernel
from minigrad.gcpause import gc_paused
from minigrad.optim import AdamW, clip_grad_norm_
from minimodel.mini_gpt import MiniGPT, named_config
from minitrain.batcher import Batch, Batcher
from minitrain.labs._corpus import corpus
from minitrain.trainer import param_groups

BATCH_SIZES = {"tiny": 8, "grammar": 16}  # the phase's training batches (`named_train_config`)
LR, CLIP, DECAY = 3e-4, 1.0, 0.1

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


def measure(name: str, *, steps: int, rounds: int, seed: int, with_torch: bool) -> dict[str, Any]:
    data = corpus()
    model = MiniGPT(named_config(name, data.vocab_size), rng=np.random.default_rng(seed))
    batcher = Batcher(
        data.train,
        batch_size=BATCH_SIZES[name],
        context_len=model.cfg.context_len,
        rng=np.random.default_rng(seed),
    )
    batches = [batcher.next_batch() for _ in range(steps)]
    tokens = sum(b.n_tokens for b in batches)
    sides: dict[str, Step] = {"minigrad": numpy_step(model)}
    if with_torch:
        sides["torch"] = torch_step(
            model
        )  # built before any NumPy step: identical starting weights
    for step in sides.values():
        step(batches[0])  # warm-up: allocators, BLAS buffers, torch's lazy init
    blocks: dict[str, list[float]] = {side: [] for side in sides}
    for _ in range(rounds):
        for side, step in sides.items():
            blocks[side].append(time_block(step, batches))
    rates = {side: tokens / min(times) for side, times in blocks.items()}
    result: dict[str, Any] = {
        "batch_size": BATCH_SIZES[name],
        "steps_per_block": steps,
        "tokens_per_block": tokens,
        "tokens_per_s": rates,
        "block_seconds": blocks,
    }
    if "torch" in rates:
        result["torch_over_minigrad"] = rates["torch"] / rates["minigrad"]
    return result


@lab(
    "18-throughput",
    title="Training tokens/s: MiniGPT on minigrad vs the same network in PyTorch (CPU, same threads)",
)
def throughput(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"steps": 1, "rounds": 2, "configs": ["tiny"]},
            "default": {"steps": 10, "rounds": 3, "configs": ["tiny", "grammar"]},
            "full": {"steps": 30, "rounds": 5, "configs": ["tiny", "grammar"]},
        },
    )
    has_torch = torch_available()
    note = None if has_torch else "torch is not installed: only the minigrad side was timed"
    threads: int | None = None
    torch_info: dict[str, Any] = {}
    if has_torch:
        torch: Any = importlib.import_module("torch")
        threads = int(torch.get_num_threads())
        torch_info = {"version": torch.__version__, "threads": threads}
    results: dict[str, Any] = {}
    with threadpool_limits(limits=threads, user_api="blas"):  # None: leave BLAS as it is
        blas = blas_kernel()
        for name in cfg["configs"]:
            results[name] = measure(
                name,
                steps=cfg["steps"],
                rounds=cfg["rounds"],
                seed=ctx.seed,
                with_torch=has_torch,
            )
    fig, ax = figure(width=7)
    names = list(results)
    x = np.arange(len(names))
    for offset, side, colour in ((-0.2, "minigrad", "tab:blue"), (0.2, "torch", "tab:orange")):
        if side in results[names[0]]["tokens_per_s"]:
            rates = [results[n]["tokens_per_s"][side] for n in names]
            bars = ax.bar(x + offset, rates, width=0.4, color=colour, label=side)
            ax.bar_label(bars, fmt="%.0f", fontsize=8)
    ax.set_xticks(x, [f"{n} (batch {BATCH_SIZES[n]})" for n in names])
    ax.set_ylabel("training tokens / s (best block)")
    ax.set_title(
        f"{threads or 'default'} thread(s); " + (note or blas["kernel"]), fontsize=8, wrap=True
    )
    ax.legend(fontsize=8)
    save_png(fig, ctx.out_dir / "throughput.png", title="One AdamW training step, same weights")
    return {
        "threads": threads,
        "torch": torch_info,
        "blas_kernel": blas["kernel"],
        "note": note,
        "load_average_1min": os.getloadavg()[0],  # > cores: other processes shared the CPUs
        "configs": results,
    }


__all__ = ["measure", "numpy_step", "torch_available", "torch_step"]
