"""Lab 11-bpe-speed: incremental vs full-recount training, rank+cache vs merge-by-merge encoding, and
HuggingFace `tokenizers` (Rust) on the same text — all measured in one run, reported as ratios."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import LabContext, lab
from minitoken.bpe import DEFAULT_SPECIALS, BPETokenizer
from minitoken.labs.textsource import mixed_text


def best_of(repeats: int, func: Callable[[], object]) -> float:
    """Fastest of `repeats` wall-clock timings: the least disturbed by the rest of the machine."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def huggingface(lines: list[str], text: str, vocab_size: int, repeats: int) -> dict[str, Any]:
    try:
        from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    except ImportError:
        return {"available": False}

    def train() -> Any:
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=list(DEFAULT_SPECIALS),
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        tok.train_from_iterator(lines, trainer)
        return tok

    train_s = best_of(repeats, train)
    tok = train()
    encode_s = best_of(repeats, lambda: tok.encode(text))
    return {
        "available": True,
        "train_s": train_s,
        "encode_s": encode_s,
        "vocab_size": tok.get_vocab_size(),
    }


@lab(
    "11-bpe-speed",
    title="BPE speed: incremental training and cached encoding vs naive and HF tokenizers",
)
def bpe_speed(ctx: LabContext) -> Mapping[str, Any]:
    size = settings(
        ctx,
        {
            "smoke": {"text_bytes": 10_000, "vocab_size": 400, "repeats": 1},
            "default": {"text_bytes": 40_000, "vocab_size": 512, "repeats": 3},
            "full": {"text_bytes": 200_000, "vocab_size": 1024, "repeats": 5},
        },
    )
    target, vocab_size, repeats = (
        int(size["text_bytes"]),
        int(size["vocab_size"]),
        int(size["repeats"]),
    )
    lines, sources = mixed_text(target)
    text = "\n".join(lines)
    n_bytes = len(text.encode("utf-8"))

    fast_train = best_of(repeats, lambda: BPETokenizer().train(lines, vocab_size))
    naive_train = best_of(1, lambda: BPETokenizer().train(lines, vocab_size, algorithm="naive"))
    tokenizer = BPETokenizer().train(lines, vocab_size)
    identical = (
        tokenizer.merges == BPETokenizer().train(lines, vocab_size, algorithm="naive").merges
    )

    def encode_cold() -> object:
        tokenizer._cache.clear()
        return tokenizer.encode(text)

    cold = best_of(repeats, encode_cold)
    warm = best_of(repeats, lambda: tokenizer.encode(text))
    naive_encode = best_of(1, lambda: tokenizer.encode_naive(text))
    same_ids = tokenizer.encode(text) == tokenizer.encode_naive(text)
    hf = huggingface(lines, text, vocab_size, repeats)

    mb = n_bytes / 1e6
    results: dict[str, Any] = {
        "text_bytes": n_bytes,
        "text_sources_lines": sources,
        "vocab_size": vocab_size,
        "train_s": {"fast": fast_train, "naive_full_recount": naive_train},
        "train_speedup_fast_vs_naive": naive_train / fast_train,
        "merges_identical": identical,
        "encode_mb_per_s": {
            "fast_cold_cache": mb / cold,
            "fast_warm_cache": mb / warm,
            "naive": mb / naive_encode,
        },
        "encode_speedup_cold_vs_naive": naive_encode / cold,
        "encode_ids_identical": same_ids,
        "tokens": len(tokenizer.encode(text)),
        "bytes_per_token": n_bytes / max(1, len(tokenizer.encode(text))),
        "huggingface": hf,
    }
    if hf["available"]:
        results["train_time_ratio_ours_over_hf"] = fast_train / hf["train_s"]
        results["encode_time_ratio_ours_cold_over_hf"] = cold / hf["encode_s"]

    fig, (left, right) = figure(1, 2, width=11, height=4.2)
    train_labels = ["naive recount", "incremental"] + (["HF tokenizers"] if hf["available"] else [])
    train_values = [naive_train, fast_train] + ([hf["train_s"]] if hf["available"] else [])
    left.bar(
        train_labels, train_values, color=["#bdbdbd", "#1b9e77", "#7570b3"][: len(train_values)]
    )
    left.set_yscale("log")
    left.set_ylabel("seconds (log scale)")
    left.set_title(f"train to {vocab_size} on {n_bytes / 1000:.0f} KB")
    enc_labels = ["naive", "fast (cold)", "fast (warm)"] + (
        ["HF tokenizers"] if hf["available"] else []
    )
    enc_values = [mb / naive_encode, mb / cold, mb / warm] + (
        [mb / hf["encode_s"]] if hf["available"] else []
    )
    right.bar(
        enc_labels,
        enc_values,
        color=["#bdbdbd", "#1b9e77", "#66a61e", "#7570b3"][: len(enc_values)],
    )
    right.set_yscale("log")
    right.set_ylabel("MB/s (log scale)")
    right.set_title("encode throughput")
    for ax, values in ((left, train_values), (right, enc_values)):
        for x, v in enumerate(values):
            ax.annotate(f"{v:.3g}", (x, v), ha="center", va="bottom", fontsize=9)
    save_png(fig, ctx.path("speed.png"), title="minitoken: measured in one run on this machine")
    return results
