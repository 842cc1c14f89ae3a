"""Lab 11-bpe-verb-corpus: train at 384, 512 and 1024 tokens on the verb corpus and see what the merges learn."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import LabContext, lab
from minitoken.bpe import BPETokenizer
from minitoken.labs.measures import tokens_per_word, usage
from minitoken.labs.textsource import corpus_lines, verb_lemmas


@lab("11-bpe-verb-corpus", title="BPE on the verb corpus: 384 / 512 / 1024 tokens, EN vs ES")
def bpe_verb_corpus(ctx: LabContext) -> Mapping[str, Any]:
    sizes = [int(s) for s in ctx.config.setdefault("vocab_sizes", [384, 512, 1024])]
    english, spanish = corpus_lines(("en",)), corpus_lines(("es",))
    both = corpus_lines()
    verbs = verb_lemmas()
    per_size: dict[str, Any] = {}
    trained: dict[int, BPETokenizer] = {}
    for size in sizes:
        start = time.perf_counter()
        tokenizer = BPETokenizer().train(both, size)
        seconds = time.perf_counter() - start
        tokenizer.save(ctx.out_dir / "vocabs" / str(size))
        trained[size] = tokenizer
        text_bytes = sum(len(line.encode("utf-8")) for line in both)
        n_tokens = sum(len(tokenizer.encode(line)) for line in both)
        per_size[str(size)] = {
            "actual_vocab_size": tokenizer.vocab_size,
            "train_s": round(seconds, 4),
            "tokens_per_word": {
                "en": round(tokens_per_word(tokenizer, english), 4),
                "es": round(tokens_per_word(tokenizer, spanish), 4),
            },
            "bytes_per_token": round(text_bytes / n_tokens, 4),
            "whole_verbs": sorted(v for v in verbs if len(tokenizer.encode(" " + v)) == 1),
        }

    focus = 512 if 512 in trained else sizes[0]
    tokenizer = trained[focus]
    vocab = tokenizer.vocab
    en_use, es_use = usage(tokenizer, english), usage(tokenizer, spanish)
    merged_ids = [i for i in (en_use + es_use) if i >= 260]
    top = sorted(merged_ids, key=lambda i: (-(en_use[i] + es_use[i]), i))[:30]

    def language(i: int) -> str:
        if en_use[i] and es_use[i]:
            return "both"
        return "en" if en_use[i] else "es"

    lines = ["| rank | token | uses | language |", "|---|---|---|---|"]
    lines += [
        f"| {r + 1} | `{vocab.display(i)}` | {en_use[i] + es_use[i]} | {language(i)} |"
        for r, i in enumerate(top)
    ]
    ctx.path("top_merges.md").write_text("\n".join(lines) + "\n", encoding="utf-8")

    fig, ax = figure(width=7, height=8)
    colors = {"en": "#1b9e77", "es": "#d95f02", "both": "#7570b3"}
    ax.barh(
        [vocab.display(i) for i in top][::-1],
        [en_use[i] + es_use[i] for i in top][::-1],
        color=[colors[language(i)] for i in top][::-1],
    )
    ax.set_xlabel("uses in the training split")
    for name, color in colors.items():
        ax.bar(0, 0, color=color, label=name)
    ax.legend(title="appears in")
    save_png(fig, ctx.path("top_merges.png"), title=f"Top 30 merged tokens at vocab {focus}")

    counts = np.array(sorted((en_use + es_use).values(), reverse=True), dtype=float)
    ranks = np.arange(1, len(counts) + 1)
    slope = float(np.polyfit(np.log(ranks), np.log(counts), 1)[0])
    fig, ax = figure(width=6.5, height=4.5)
    ax.loglog(ranks, counts, marker=".", linestyle="none", color="#1b9e77")
    ax.set_xlabel("rank")
    ax.set_ylabel("token frequency")
    ax.set_title(f"Zipf plot at vocab {focus} (fitted slope {slope:.2f})")
    save_png(fig, ctx.path("zipf.png"))

    fig, ax = figure(width=7, height=4.2)
    x = np.arange(len(sizes))
    for offset, lang, color in ((-0.2, "en", "#1b9e77"), (0.2, "es", "#d95f02")):
        ax.bar(
            x + offset,
            [per_size[str(s)]["tokens_per_word"][lang] for s in sizes],
            width=0.4,
            label=lang,
            color=color,
        )
    ax.set_xticks(x, [str(s) for s in sizes])
    ax.set_xlabel("vocabulary size")
    ax.set_ylabel("tokens per word")
    ax.legend()
    save_png(fig, ctx.path("tokens_per_word.png"), title="Cost of a word, English vs Spanish")

    return {
        "lines": {"en": len(english), "es": len(spanish)},
        "per_vocab_size": per_size,
        "focus_vocab_size": focus,
        "top_merges": [vocab.display(i) for i in top],
        "zipf_slope": slope,
    }
