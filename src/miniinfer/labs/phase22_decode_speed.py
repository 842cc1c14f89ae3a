"""Phase 22 lab: greedy decode tokens/s with the KV cache — the training graph, the array path, and PyTorch.

Three runners decode the same prompts with the same weights: `MiniGPT.prefill`/`decode` (the training graph
under `no_grad`, a `Tensor` per op), `minimodel.infer.FastMiniGPT` (plain arrays, preallocated cache, in-place
ops) and the PyTorch port behind the same interface (`CachedTorchMiniGPT`). Each does one prefill of the prompt
then one decode per new token, at batch 1 (a tutor's reply) and batch 32 (evaluation). NumPy's BLAS and
PyTorch are limited to the same number of threads (1 by default); runs alternate (graph, array, torch, graph, …)
and each round's time ratios are paired, so the medians of those ratios are what to read, never the absolute
times. Greedy tokens must agree between the graph and the array path (`tokens_agree`).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from lynx_cortex.labkit import interleaved_seconds, paired_median_ratio, settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import LabContext, lab
from minimodel.infer import FastMiniGPT
from minimodel.mini_gpt import GRAMMAR_WIDE, MiniGPT, MiniGPTConfig, named_config

VOCAB = 512  # the shipped tokenizer's size; decode speed does not depend on trained weights


def _config(name: str) -> MiniGPTConfig:
    return replace(GRAMMAR_WIDE, vocab_size=VOCAB) if name == "wide" else named_config(name, VOCAB)


def greedy_run(
    runner: Any, prompt: np.ndarray, new_tokens: int, to_array: Callable[[Any], Any]
) -> np.ndarray:
    """Prefill `prompt` (B, T), then decode `new_tokens` - 1 more steps; the greedy ids (B, new_tokens)."""
    logits = np.asarray(to_array(runner.prefill(prompt)))[:, -1]  # (B, V)
    out = [np.argmax(logits, axis=-1)]
    for _ in range(new_tokens - 1):
        logits = np.asarray(to_array(runner.decode(out[-1][:, None])))[:, -1]
        out.append(np.argmax(logits, axis=-1))
    return np.stack(out, axis=1)


def measure(
    name: str,
    *,
    batch: int,
    prompt_len: int,
    new_tokens: int,
    rounds: int,
    seed: int,
    with_torch: bool,
) -> dict[str, Any]:
    cfg = _config(name)
    model = MiniGPT(cfg, rng=np.random.default_rng(seed))
    model.tok_emb.weight.data = model.tok_emb.weight.data * 10.0  # decisive greedy choices
    new_tokens = min(new_tokens, cfg.context_len - prompt_len)
    prompt = np.random.default_rng(seed + 1).integers(0, VOCAB, (batch, prompt_len))
    runners: dict[str, tuple[Any, Callable[[Any], Any], Any]] = {
        "graph": (model, lambda out: out.data, prompt),
        "array": (FastMiniGPT(model), lambda out: out, prompt),
    }
    if with_torch:
        from minimodel.torch_minigpt import CachedTorchMiniGPT, GrammarMiniGPT, load_numpy_state

        torch: Any = importlib.import_module("torch")
        twin = GrammarMiniGPT(cfg)
        load_numpy_state(twin, model.state_dict())
        runners["torch"] = (
            CachedTorchMiniGPT(twin),
            lambda out: out.numpy(),
            torch.from_numpy(prompt),
        )
    tokens = {
        side: greedy_run(r, p, new_tokens, f) for side, (r, f, p) in runners.items()
    }  # + warm-up
    seconds = interleaved_seconds(
        {
            side: partial(greedy_run, runner, ids, new_tokens, to_array)
            for side, (runner, to_array, ids) in runners.items()
        },
        rounds,
    )
    generated = batch * new_tokens
    result: dict[str, Any] = {
        "batch": batch,
        "prompt_len": prompt_len,
        "new_tokens": new_tokens,
        "tokens_per_s": {side: generated / float(np.median(t)) for side, t in seconds.items()},
        "seconds": seconds,
        "tokens_agree": bool(np.array_equal(tokens["graph"], tokens["array"])),
    }
    result["array_speedup_over_graph"] = paired_median_ratio(seconds["graph"], seconds["array"])
    if "torch" in seconds:
        # tokens/s relative to torch's, paired per round: > 1 means faster than torch
        result["array_over_torch"] = paired_median_ratio(seconds["torch"], seconds["array"])
        result["graph_over_torch"] = paired_median_ratio(seconds["torch"], seconds["graph"])
        result["torch_tokens_agree"] = bool(np.array_equal(tokens["torch"], tokens["array"]))
    return result


@lab(
    "22-decode-speed",
    title="Greedy decode tokens/s with the KV cache: training graph vs array path vs PyTorch (CPU, same threads)",
)
def decode_speed(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {
                "configs": ["tiny"],
                "batches": [1, 4],
                "prompt_len": 8,
                "new_tokens": 6,
                "rounds": 2,
                "threads": 1,
            },
            "default": {
                "configs": ["tiny", "grammar", "wide"],
                "batches": [1, 32],
                "prompt_len": 16,
                "new_tokens": 24,
                "rounds": 5,
                "threads": 1,
            },
        },
    )
    threads = int(cfg["threads"])
    has_torch = importlib.util.find_spec("torch") is not None
    torch: Any = importlib.import_module("torch") if has_torch else None
    previous = int(torch.get_num_threads()) if torch is not None else 0
    results: dict[str, Any] = {}
    try:
        if torch is not None:
            torch.set_num_threads(threads)
        with threadpool_limits(limits=threads, user_api="blas"):
            for name in cfg["configs"]:
                for batch in cfg["batches"]:
                    results[f"{name}/B={batch}"] = measure(
                        name,
                        batch=int(batch),
                        prompt_len=int(cfg["prompt_len"]),
                        new_tokens=int(cfg["new_tokens"]),
                        rounds=int(cfg["rounds"]),
                        seed=ctx.seed,
                        with_torch=has_torch,
                    )
    finally:
        if torch is not None:
            torch.set_num_threads(previous)
    fig, ax = figure(width=8)
    keys = list(results)
    x = np.arange(len(keys))
    sides = [s for s in ("graph", "array", "torch") if s in results[keys[0]]["tokens_per_s"]]
    width = 0.8 / len(sides)
    for i, side in enumerate(sides):
        rates = [results[k]["tokens_per_s"][side] for k in keys]
        bars = ax.bar(x + (i - (len(sides) - 1) / 2) * width, rates, width=width, label=side)
        ax.bar_label(bars, fmt="%.0f", fontsize=6)
    ax.set_xticks(x, keys, fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel("generated tokens / s (median run)")
    ax.set_title(f"{threads} thread(s) each", fontsize=8)
    ax.legend(fontsize=8)
    save_png(
        fig, ctx.path("decode_speed.png"), title="Greedy decoding with a KV cache, same weights"
    )
    return {
        "threads": threads,
        "torch": None if torch is None else torch.__version__,
        "note": None if has_torch else "torch is not installed: only the NumPy paths were timed",
        "load_average_1min": os.getloadavg()[0],
        "runs": results,
    }


__all__ = ["decode_speed", "greedy_run", "measure"]
