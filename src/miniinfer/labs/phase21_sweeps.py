"""Phase 21 labs on the shipped grammar checkpoint: two sampling sweeps.

`21-temperature-sweep` and `21-diversity-vs-accuracy` ask the shipped model to correct a fixed set of held-out
sentences (the tutor set's frame-split validation part, erroneous and correct alike), several samples each,
under each strategy. A correction is the text between the prompt's `<|sep|>` and the next one; it is right when
it equals the row's reference correction (the sentence itself for correct rows). Diversity is the number of distinct corrections per prompt; the entropy is that of the
distribution each strategy actually samples from, averaged over every sampled token. Together they show the
trade the phase is about: more randomness buys variety and costs exact answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.paths import data_dir
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.progress import track
from lynx_cortex.registry import LabContext, lab
from minicorpus.framing import correction_of, reference_correction
from minicorpus.tutor_build import load_tutor_split
from miniinfer.prompting import sample_continuations
from miniinfer.sampling import Temperature, TopK, TopP, entropy
from minimodel.data import load_tokenizer
from minimodel.mini_gpt import MiniGPT
from minimodel.shipped import load_shipped_model

CHECKPOINT = "grammar"
TAUS = (0.2, 0.5, 0.8, 1.0, 1.5)
KS = (1, 5, 20)
PS = (0.5, 0.9, 0.95, 1.0)
SIZES: dict[str, dict[str, Any]] = {
    "smoke": {"n_prompts": 4, "samples": 4, "max_new_tokens": 20},
    "default": {"n_prompts": 24, "samples": 8, "max_new_tokens": 24},
    "full": {"n_prompts": 120, "samples": 16, "max_new_tokens": 28},
}

SamplingStrategy = Temperature | TopK | TopP


class EntropyRecorder:
    """Samples exactly as `strategy` does and adds up the entropy of the distribution it sampled from."""

    def __init__(self, strategy: SamplingStrategy) -> None:
        self.strategy = strategy
        self.total = 0.0
        self.tokens = 0

    def __call__(self, logits: np.ndarray, rng: np.random.Generator) -> int:
        self.total += entropy(self.strategy.probabilities(logits))  # logits: (V,)
        self.tokens += 1
        return int(self.strategy(logits, rng))


@dataclass(frozen=True)
class Probe:
    sentence: str
    target: str


def probe_rows(n: int) -> list[Probe]:
    """`n` validation rows spread evenly over the split (not its first rows, which may share a verb)."""
    rows = load_tutor_split(data_dir() / "tutor", "frames")["val"]
    if not 1 <= n <= len(rows):
        raise ValueError(f"n_prompts must be in [1, {len(rows)}] (frame-split val rows), got {n}")
    picks = np.linspace(0, len(rows) - 1, n).round().astype(int)
    probes = []
    for i in picks:
        probes.append(Probe(str(rows[i]["text"]), reference_correction(rows[i])))
    return probes


def sweep(
    model: MiniGPT,
    probes: Sequence[Probe],
    strategies: Mapping[str, SamplingStrategy],
    *,
    samples: int,
    max_new_tokens: int,
    seed: int,
) -> dict[str, dict[str, float]]:
    """Accuracy, distinct corrections per prompt and mean sampling entropy of each strategy.

    Every strategy sees the same prompts and the same per-sample seeds, so differences are the strategy's.
    """
    tokenizer = load_tokenizer()
    table: dict[str, dict[str, float]] = {}
    for name, strategy in track(strategies.items(), desc="strategies"):
        recorder = EntropyRecorder(strategy)
        texts = sample_continuations(
            model,
            tokenizer,
            [p.sentence for p in probes],
            strategy=recorder,
            samples=samples,
            max_new_tokens=max_new_tokens,
            seed=seed,
        )
        correct = sum(
            correction_of(text) == probe.target
            for probe, outputs in zip(probes, texts, strict=True)
            for text in outputs
        )
        distinct = [len(set(outputs)) for outputs in texts]
        table[name] = {
            "accuracy": correct / (len(probes) * samples),
            "distinct_per_prompt": float(np.mean(distinct)),
            "mean_entropy": recorder.total / max(recorder.tokens, 1),
        }
    return table


def _shipped_model() -> MiniGPT:
    return load_shipped_model(CHECKPOINT).model


def _run_sweep(
    ctx: LabContext, strategies: Mapping[str, SamplingStrategy]
) -> tuple[dict[str, Any], dict[str, dict[str, float]]]:
    cfg = settings(ctx, SIZES)
    table = sweep(
        _shipped_model(),
        probe_rows(int(cfg["n_prompts"])),
        strategies,
        samples=int(cfg["samples"]),
        max_new_tokens=int(cfg["max_new_tokens"]),
        seed=ctx.seed,
    )
    return cfg, table


@lab("21-temperature-sweep", title="Temperature sweep on the shipped checkpoint's corrections")
def temperature_sweep(ctx: LabContext) -> Mapping[str, Any]:
    """How accuracy, variety and entropy move together as tau heats the same model's distribution."""
    strategies = {f"tau={t}": Temperature(t) for t in TAUS}
    cfg, table = _run_sweep(ctx, strategies)
    fig, axes = figure(1, 3, width=12.0, height=3.8)
    for ax, key, label in zip(
        axes,
        ("accuracy", "distinct_per_prompt", "mean_entropy"),
        (
            "exact corrections (share)",
            f"distinct outputs per prompt (of {cfg['samples']})",
            "mean sampling entropy (nats/token)",
        ),
        strict=True,
    ):
        ax.plot(TAUS, [table[name][key] for name in strategies], marker="o")
        ax.set(xlabel="temperature tau", ylabel=label)
    save_png(
        fig,
        ctx.path("temperature_sweep.png"),
        title=f"Temperature on the shipped '{CHECKPOINT}' model ({cfg['n_prompts']} val prompts)",
    )
    return {"taus": list(TAUS), "table": table}


@lab("21-diversity-vs-accuracy", title="Top-k and top-p: diversity against exact corrections")
def diversity_vs_accuracy(ctx: LabContext) -> Mapping[str, Any]:
    """Truncation instead of heat: where each k and p lands on the diversity-accuracy plane."""
    strategies: dict[str, SamplingStrategy] = {f"top-k={k}": TopK(k) for k in KS}
    strategies.update({f"top-p={p}": TopP(p) for p in PS})
    cfg, table = _run_sweep(ctx, strategies)
    fig, ax = figure(width=7.5, height=5.0)
    for family, marker in (("top-k", "o"), ("top-p", "s")):
        names = [n for n in strategies if n.startswith(family)]
        xs = [table[n]["distinct_per_prompt"] for n in names]
        ys = [table[n]["accuracy"] for n in names]
        ax.scatter(xs, ys, marker=marker, s=60, label=family)
        for name, x, y in zip(names, xs, ys, strict=True):
            ax.annotate(name.split("=")[1], (x, y), textcoords="offset points", xytext=(6, 4))
    ax.set(
        xlabel=f"distinct outputs per prompt (of {cfg['samples']})",
        ylabel="exact corrections (share)",
        ylim=(-0.05, 1.05),
    )
    ax.legend(title="strategy (label = k or p)")
    save_png(fig, ctx.path("diversity_vs_accuracy.png"), title="Diversity bought, accuracy paid")
    return {"ks": list(KS), "ps": list(PS), "table": table}


__all__ = ["EntropyRecorder", "Probe", "probe_rows", "sweep"]
