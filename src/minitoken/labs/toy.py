"""Lab 11-bpe-toy: BPE on five tiny sentences, one merge at a time, with every pair count shown."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from matplotlib.ticker import MaxNLocator

from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import LabContext, lab
from minitoken.bpe import BPETokenizer
from minitoken.training import Pair, Word, train_naive
from minitoken.vocab import display_bytes

TOY_CORPUS = ("I work", "I work", "I worked", "he works", "he worked")


@dataclass(frozen=True)
class Step:
    number: int
    counts: dict[Pair, int]
    winner: Pair
    new_id: int


def trace(words: Mapping[Word, int], n_merges: int, first_id: int) -> list[Step]:
    """The naive trainer, keeping each step's full pair-count table."""
    steps: list[Step] = []

    def keep(number: int, counts: Mapping[Pair, int], winner: Pair) -> None:
        steps.append(Step(number, dict(counts), winner, first_id + number - 1))

    train_naive(words, n_merges, first_id, observe=keep)
    return steps


@lab("11-bpe-toy", title="BPE by hand: the toy corpus merge by merge")
def bpe_toy(ctx: LabContext) -> Mapping[str, Any]:
    n_merges = int(ctx.config.setdefault("merges", 8))
    tokenizer = BPETokenizer(())
    words = tokenizer._word_counts(TOY_CORPUS)
    steps = trace(words, n_merges, first_id=256)
    table = [bytes([i]) for i in range(256)]
    for step in steps:
        table.append(table[step.winner[0]] + table[step.winner[1]])

    def show(pair: Pair) -> str:
        return f"{display_bytes(table[pair[0]])} + {display_bytes(table[pair[1]])}"

    lines = ["# BPE on the toy corpus", "", "Corpus: " + " | ".join(TOY_CORPUS), ""]
    for step in steps:
        ranked = sorted(step.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        lines += [
            f"## Merge {step.number}: {show(step.winner)} → id {step.new_id}",
            "",
            "| pair | count |",
            "|---|---|",
        ]
        lines += [f"| {show(p)}{' ⟵' if p == step.winner else ''} | {c} |" for p, c in ranked[:8]]
        lines.append("")
    ctx.path("trace.md").write_text("\n".join(lines), encoding="utf-8")

    shown_steps = steps[:6]
    fig, axes = figure(2, 3, width=12, height=6.5)
    for ax, step in zip(axes.flat, shown_steps, strict=False):
        ranked = sorted(step.counts.items(), key=lambda kv: (-kv[1], kv[0]))[:6][::-1]
        colors = ["#d95f02" if p == step.winner else "#7570b3" for p, _ in ranked]
        ax.barh([show(p) for p, _ in ranked], [c for _, c in ranked], color=colors)
        ax.set_title(f"merge {step.number}: {show(step.winner)}")
        ax.set_xlabel("pair count")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    save_png(
        fig,
        ctx.path("merge_steps.png"),
        title="Toy BPE: pair counts before each merge (orange = winner)",
    )
    return {
        "corpus": list(TOY_CORPUS),
        "merges": [show(step.winner) for step in steps],
        "winner_counts": [step.counts[step.winner] for step in steps],
        "ties_at_first_step": sum(
            1 for c in steps[0].counts.values() if c == steps[0].counts[steps[0].winner]
        ),
    }
