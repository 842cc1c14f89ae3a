"""Phase 21 break: sample with top-p 1.0 (no nucleus at all) instead of 0.95, next to 0.5.

The break asks the shipped grammar model to correct and translate held-out sentences (the tutor set's
frame-split validation part) with each p, several samples per prompt. The table reports, per p:

- correctness: the share of samples whose correction (the text up to the first separator) is the row's
  reference correction — the accuracy a learner would see;
- diversity: distinct corrections per prompt, over the samples;
- tail rate: the share of sampled tokens outside the model's own 95 % nucleus at that step — the least likely
  tokens that together hold the last 5 % of the probability, the "tail garbage";
- mean NLL: how surprising the samples are to the model itself (nats per token).

Top-p 1.0 keeps the whole tail, so a few percent of its tokens come from it; 0.95 never samples there; 0.5 is
close to greedy — its samples are the least surprising, at the price of diversity. The symptom is detected when
p = 1.0 samples tail tokens while p = 0.95 samples none, and p = 0.5's samples are no more surprising than
0.95's (equal when the model is so confident that both nuclei are the single greedy token, as the shipped one is).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.paths import data_dir
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.progress import track
from lynx_cortex.registry import BreakOutcome, LabContext, breaks
from minicorpus.framing import BOS, SEP, reference_correction
from minicorpus.tutor_build import load_tutor_split
from miniinfer.prompting import sample_continuations
from miniinfer.sampling import Strategy, TopP
from minimodel.data import load_tokenizer
from minimodel.mini_gpt import MiniGPT
from minimodel.shipped import load_shipped_model

NUCLEUS = 0.95
PS = (1.0, 0.95, 0.5)


class Recorder:
    """Wraps a strategy: samples exactly as it does, and notes for each pick its probability under the model
    (softmax of the raw logits) and whether it lies outside the model's 95 % nucleus."""

    def __init__(self, strategy: Strategy) -> None:
        self.strategy = strategy
        self.nll = 0.0
        self.tail = 0
        self.tokens = 0

    def __call__(self, logits: np.ndarray, rng: np.random.Generator) -> int:
        token = int(self.strategy(logits, rng))
        z = logits - logits.max()  # (V,)
        probs = np.exp(z) / np.exp(z).sum()  # (V,)
        mass_above = float(probs[probs > probs[token]].sum())  # mass of strictly likelier tokens
        self.tail += mass_above >= NUCLEUS - 1e-9
        self.nll -= float(np.log(probs[token]))
        self.tokens += 1
        return token


def sample_table(
    model: MiniGPT,
    rows: Sequence[dict[str, Any]],
    *,
    samples: int,
    max_new_tokens: int,
    seed: int,
) -> dict[str, dict[str, float]]:
    """Correctness, diversity and tail rate of top-p sampling at each p of `PS` (see the module docstring)."""
    tokenizer = load_tokenizer()
    targets = [reference_correction(row) for row in rows]
    table: dict[str, dict[str, float]] = {}
    for p in track(PS, desc="top-p"):
        recorder = Recorder(TopP(p))
        texts = sample_continuations(
            model,
            tokenizer,
            [row["text"] for row in rows],
            strategy=recorder,
            samples=samples,
            max_new_tokens=max_new_tokens,
            seed=seed,
            stop_at=(BOS,),  # run on into the Spanish: the tail shows there too
        )
        corrections = [[text.split(SEP, 1)[0].strip() for text in outs] for outs in texts]
        correct = sum(
            c == target for target, outs in zip(targets, corrections, strict=True) for c in outs
        )
        distinct = [len(set(outs)) for outs in corrections]
        n = len(rows) * samples
        table[str(p)] = {
            "correctness": correct / n,
            "distinct_per_prompt": float(np.mean(distinct)),
            "tail_rate": recorder.tail / max(recorder.tokens, 1),
            "mean_nll": recorder.nll / max(recorder.tokens, 1),
        }
    return table


def _plot(ctx: LabContext, table: dict[str, dict[str, float]], samples: int) -> None:
    fig, axes = figure(1, 3, width=11.0, height=3.8)
    for ax, key, label in zip(
        axes,
        ("correctness", "distinct_per_prompt", "tail_rate"),
        (
            "correct corrections (share)",
            f"distinct corrections per prompt (of {samples})",
            "sampled tokens outside the 95 % nucleus",
        ),
        strict=True,
    ):
        ax.bar([f"top-p {p}" for p in table], [v[key] for v in table.values()], color="tab:blue")
        ax.set(ylabel=label)
    save_png(
        fig, ctx.path("top_p_table.png"), title="Top-p 1.0 vs 0.95 vs 0.5 on a trained MiniGPT"
    )


@breaks(21, title="Top-p 1.0: sampling the whole tail", change="TopP(1.0) instead of TopP(0.95)")
def top_p_break(ctx: LabContext) -> BreakOutcome:
    cfg = settings(
        ctx,
        {
            "smoke": {"prompts": 6, "samples": 6, "max_new_tokens": 40},
            "default": {"prompts": 24, "samples": 10, "max_new_tokens": 48},
        },
    )
    model = load_shipped_model("grammar").model
    val = load_tutor_split(data_dir() / "tutor", "frames")["val"]
    picks = np.linspace(0, len(val) - 1, int(cfg["prompts"])).round().astype(int)
    rows = [val[int(i)] for i in picks]
    table = sample_table(
        model,
        rows,
        samples=int(cfg["samples"]),
        max_new_tokens=int(cfg["max_new_tokens"]),
        seed=ctx.seed,
    )
    _plot(ctx, table, int(cfg["samples"]))
    broken, healthy, narrow = table["1.0"], table["0.95"], table["0.5"]
    detected = (
        broken["tail_rate"] > 0.0 == healthy["tail_rate"]
        and narrow["mean_nll"] <= healthy["mean_nll"] < broken["mean_nll"]
    )
    return BreakOutcome(
        healthy={"top_p": 0.95, **healthy, "top_p_0.5": narrow},
        broken={"top_p": 1.0, **broken},
        symptom=(
            "p = 1.0 samples tokens outside the 95 % nucleus (0.95 never does) and corrects "
            f"{broken['correctness']:.1%} of its samples exactly against {healthy['correctness']:.1%} at 0.95 "
            f"and {narrow['correctness']:.1%} at 0.5"
        ),
        detected=detected,
    )


__all__ = ["PS", "Recorder", "sample_table", "top_p_break"]
