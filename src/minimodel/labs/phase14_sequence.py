"""Phase 14 labs and break: the n-gram baseline, recurrent cells by hand, gradients through time, LSTM gates.

- `14-ngram-baseline` fits add-α n-grams (n = 1..7) on the framed training split, reports train/val/test
  perplexity per n at the headline α = 0.01, sweeps α, and records the best validation perplexity with its n and α
  (`ngram_baseline.json`, readable by `minimodel.baseline.read_baseline`; `corpus_baseline()` recomputes it).
- `14-rnn-by-hand` checks the hand-worked RNN step and walks untrained RNN/GRU/LSTM cells over a prompt.
- `14-vanishing-gradient` measures ‖∂L/∂h_t‖ when only the last step carries a loss.
- Break 14: the LSTM's gates without σ — the cell state explodes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from lynx_cortex.atomic import write_text_atomic
from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minicorpus.framing import SPLITS, prompt
from minigrad.tensor import Tensor
from minimodel.baseline import ALPHAS, HEADLINE_ALPHA, ORDERS, ngram_baseline, write_baseline
from minimodel.data import encode_split, load_tokenizer
from minimodel.embedding import make_embedding
from minimodel.ngram import NGramLM
from minimodel.rnn import CellKind, LSTMCell, gradient_norms_through_time, make_cell, run
from minitoken.bpe import BPETokenizer

KINDS: tuple[CellKind, ...] = ("rnn", "gru", "lstm")
#: (input sentence, the start of its correction, the full correction): after the prompt and the subject the
#: model must produce the verb — the conjugation-completion probe.
PROBES = (
    ("he work", "he", "he works"),
    ("I goed", "I", "I went"),
    ("you was", "you", "you were"),
    ("I will to watch", "I", "I will watch"),
    ("he gone", "he", "he has gone"),
)


def top_next(
    model: NGramLM, tokenizer: BPETokenizer, text: str, k: int = 5
) -> list[dict[str, Any]]:
    probs = model.distribution(tokenizer.encode(text, allowed_special="all"))  # (V,)
    best = np.argsort(-probs, kind="stable")[:k]
    return [{"token": tokenizer.decode([int(i)]), "id": int(i), "p": float(probs[i])} for i in best]


def greedy(
    model: NGramLM, tokenizer: BPETokenizer, text: str, stop: int = 3, limit: int = 20
) -> str:
    """Most likely continuation up to the next `<|sep|>` (id 3): what the baseline "corrects" a sentence to."""
    ids = tokenizer.encode(text, allowed_special="all")
    out: list[int] = []
    for _ in range(limit):
        nxt = int(np.argmax(model.distribution(ids + out)))
        if nxt == stop:
            break
        out.append(nxt)
    return tokenizer.decode(out)


@lab(
    "14-ngram-baseline", title="Add-α n-gram baseline: perplexity per n, α sweep, completion probes"
)
def ngram_lab(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"orders": [1, 2, 3], "alphas": [0.01, 0.1]},
            "default": {"orders": list(ORDERS), "alphas": list(ALPHAS)},
            "full": {"orders": list(ORDERS), "alphas": list(ALPHAS)},
        },
    )
    tokenizer = load_tokenizer()
    splits = {name: encode_split(tokenizer, name) for name in SPLITS}
    vocab = tokenizer.vocab_size
    headline: dict[int, dict[str, float]] = {}
    for n in cfg["orders"]:
        model = NGramLM(n, vocab, HEADLINE_ALPHA).fit(splits["train"])
        headline[n] = {name: model.perplexity(seqs) for name, seqs in splits.items()}
    best = ngram_baseline(
        splits["train"], splits["val"], vocab_size=vocab, orders=cfg["orders"], alphas=cfg["alphas"]
    )
    write_baseline(best, ctx.path("ngram_baseline.json"))
    best_model = NGramLM(best.n, vocab, best.alpha).fit(splits["train"])
    test_ppl = best_model.perplexity(splits["test"])

    probe_models = {n: NGramLM(n, vocab, HEADLINE_ALPHA).fit(splits["train"]) for n in (3, 5)}
    probe_models[best.n] = best_model
    probes: dict[str, Any] = {}
    top1_hits = dict.fromkeys(probe_models, 0)
    for text, subject, correction in PROBES:
        context = prompt(text) + subject
        expected_id = tokenizer.encode(prompt(text) + correction, allowed_special="all")[
            len(tokenizer.encode(context, allowed_special="all"))
        ]
        entry: dict[str, Any] = {"context": context, "expected": tokenizer.decode([expected_id])}
        for n, m in sorted(probe_models.items()):
            top = top_next(m, tokenizer, context)
            entry[f"top5_n{n}"] = top
            top1_hits[n] += top[0]["id"] == expected_id
        entry["greedy_best"] = greedy(best_model, tokenizer, prompt(text))
        probes[text] = entry

    fig, (left, right) = figure(1, 2, width=12, height=4.5)
    ns = list(headline)
    for name, style in zip(SPLITS, ("o-", "s-", "^-"), strict=True):
        left.plot(ns, [headline[n][name] for n in ns], style, label=name)
    left.set(xlabel="n (context of n−1 tokens)", ylabel="perplexity (log scale)", yscale="log")
    left.set_title(f"α = {HEADLINE_ALPHA}")
    left.legend()
    for alpha in cfg["alphas"]:
        right.plot(
            ns,
            [best.grid[f"n={n},alpha={alpha:g}"] for n in ns],
            marker="o",
            label=f"α = {alpha:g}",
        )
    right.scatter(
        [best.n], [best.val_perplexity], s=150, facecolors="none", edgecolors="k", label="best"
    )
    right.set(xlabel="n", ylabel="validation perplexity (log scale)", yscale="log")
    right.set_title("α sweep")
    right.legend(fontsize=8)
    save_png(fig, ctx.path("perplexity_vs_n.png"), title="n-gram perplexity on the framed corpus")
    return {
        "vocab_size": vocab,
        "tokens": {name: sum(map(len, seqs)) for name, seqs in splits.items()},
        "headline_alpha": HEADLINE_ALPHA,
        "perplexity_by_n": {str(n): v for n, v in headline.items()},
        "best": {**best.to_json(), "test_perplexity": test_ppl},
        "probes": probes,
        "probe_top1_correct": {f"n={n}": hits for n, hits in sorted(top1_hits.items())},
        "probe_count": len(PROBES),
    }


def _hand_exercise() -> dict[str, Any]:
    """d = 4, d_embed = 2, W_hh = 0.5·I, no bias: two steps by hand vs the cell."""
    cell = make_cell("rnn", 2, 4, rng=np.random.default_rng(0))
    cell.w_x.data = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 1.0]]).T  # (D, H)
    cell.w_h.data = 0.5 * np.eye(4)  # (H, H)
    cell.b_x.data[:] = 0.0
    cell.b_h.data[:] = 0.0
    _, hs, _ = run(cell, Tensor([[[1.0, 0.0], [0.0, 1.0]]]))  # x1 = "I", x2 = "work"
    h1 = np.tanh([1.0, 0.0, 1.0, -1.0])
    h2 = np.tanh(0.5 * h1 + [0.0, 1.0, 1.0, 1.0])
    return {
        "h1": hs[0].data[0].tolist(),
        "h2": hs[1].data[0].tolist(),
        "max_diff_vs_hand": float(
            max(np.abs(hs[0].data[0] - h1).max(), np.abs(hs[1].data[0] - h2).max())
        ),
    }


@lab("14-rnn-by-hand", title="RNN, GRU and LSTM cells by hand: hidden states along a prompt")
def rnn_by_hand_lab(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"d_embed": 16, "d_hidden": 32, "prompt": "I work"},
            "default": {"d_embed": 16, "d_hidden": 32, "prompt": "I work"},
            "full": {"d_embed": 16, "d_hidden": 32, "prompt": "I work"},
        },
    )
    tokenizer = load_tokenizer()
    ids = tokenizer.encode(prompt(cfg["prompt"]), allowed_special="all")
    emb = make_embedding(tokenizer.vocab_size, cfg["d_embed"], rng=ctx.rng, init_scale=0.1)
    xs = emb(np.asarray([ids]))  # (1, T, d_embed)
    head = ctx.rng.standard_normal((cfg["d_hidden"], tokenizer.vocab_size)) * 0.1  # (H, V)
    lines = [f"prompt ids: {ids}", ""]
    norms: dict[str, list[float]] = {}
    top5: dict[str, list[str]] = {}
    for kind in KINDS:
        cell = make_cell(kind, cfg["d_embed"], cfg["d_hidden"], rng=ctx.rng)
        _, hs, _ = run(cell, xs)
        lines.append(
            f"=== {kind.upper()} (untrained, d_embed={cfg['d_embed']}, d_hidden={cfg['d_hidden']}) ==="
        )
        norms[kind] = []
        for t, (tok, h) in enumerate(zip(ids, hs, strict=True)):
            vec = h.data[0]  # (H,)
            norms[kind].append(float(np.linalg.norm(vec)))
            shown = ", ".join(f"{v:+.2f}" for v in vec[:4])
            lines.append(
                f"t={t:<2d} token={tokenizer.decode([tok])!r:<18} h[:4]=[{shown}, …]  ‖h‖={norms[kind][-1]:.3f}"
            )
        logits = hs[-1].data[0] @ head  # (V,)
        top5[kind] = [tokenizer.decode([int(i)]) for i in np.argsort(-logits)[:5]]
        lines += [f"top-5 next tokens (random: the cell is untrained): {top5[kind]}", ""]
    write_text_atomic(ctx.path("walkthrough.txt"), "\n".join(lines) + "\n")
    fig, ax = figure()
    for name, values in norms.items():
        ax.plot(range(len(values)), values, marker="o", label=name.upper())
    ax.set_xticks(range(len(ids)), [tokenizer.decode([i]) for i in ids], rotation=45, fontsize=8)
    ax.set(xlabel="token", ylabel="‖h_t‖ (L2 norm)")
    ax.legend()
    save_png(
        fig,
        ctx.path("hidden_state_norms.png"),
        title="Hidden-state norm along the prompt (untrained)",
    )
    return {
        "hand_exercise": _hand_exercise(),
        "hidden_norms": norms,
        "top5_untrained": top5,
        "tokens": len(ids),
    }


def orders_per_10_steps(norms: list[float]) -> float:
    """How many powers of ten the gradient loses every 10 steps back in time (fit over the whole range)."""
    logs = np.log10(np.maximum(np.asarray(norms), np.finfo(np.float64).tiny))  # (T,)
    slope = np.polyfit(np.arange(len(logs)), logs, 1)[0]
    return float(10 * slope)


@lab("14-vanishing-gradient", title="Backprop through time: ‖∂L/∂h_t‖ for RNN, GRU and LSTM")
def vanishing_lab(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"length": 20, "input_size": 16, "hidden_size": 32},
            "default": {"length": 50, "input_size": 16, "hidden_size": 32},
            "full": {"length": 100, "input_size": 16, "hidden_size": 32},
        },
    )
    norms = {
        kind: gradient_norms_through_time(
            kind,
            length=cfg["length"],
            input_size=cfg["input_size"],
            hidden_size=cfg["hidden_size"],
            rng=ctx.rng,
        )
        for kind in KINDS
    }
    fig, ax = figure()
    steps = np.arange(1, cfg["length"] + 1)
    for kind, colour in zip(norms, ("tab:red", "tab:blue", "tab:green"), strict=True):
        rate = orders_per_10_steps(norms[kind])
        ax.semilogy(
            steps,
            norms[kind],
            color=colour,
            label=f"{kind.upper()} ({rate:+.2f} decades / 10 steps)",
        )
    ax.set(xlabel="time step t (loss at the last step)", ylabel="‖∂L/∂h_t‖ (log scale)")
    ax.legend()
    save_png(fig, ctx.path("decay.png"), title="Gradient reaching each step through time")
    return {
        "norms": norms,
        "orders_per_10_steps": {k: orders_per_10_steps(v) for k, v in norms.items()},
        "first_over_last": {k: v[0] / v[-1] for k, v in norms.items()},
    }


def _lstm_cell_state(gate_sigmoid: bool, rng: np.random.Generator, length: int) -> list[float]:
    cell = LSTMCell(8, 16, rng=rng, gate=(lambda t: t.sigmoid()) if gate_sigmoid else (lambda t: t))
    for p in cell.parameters():
        p.data *= 4.0  # a realistic weight scale after some training; the healthy cell stays bounded anyway
    xs = Tensor(rng.standard_normal((4, length, 8)))  # (B, T, D)
    with np.errstate(over="ignore", invalid="ignore"):  # the broken cell overflows on purpose
        _, _, cs = run(cell, xs)
    return [float(np.max(np.abs(c.data))) if np.all(np.isfinite(c.data)) else math.inf for c in cs]


@breaks(14, title="LSTM gates without the sigmoid", change="i, f, o = identity(z) instead of σ(z)")
def lstm_gate_break(ctx: LabContext) -> BreakOutcome:
    length = 50
    healthy = _lstm_cell_state(True, np.random.default_rng(ctx.seed), length)
    broken = _lstm_cell_state(False, np.random.default_rng(ctx.seed), length)
    fig, ax = figure()
    ax.semilogy(range(1, length + 1), healthy, label="σ gates (healthy)")
    ax.semilogy(
        range(1, length + 1),
        np.minimum(broken, 1e30),
        label="identity gates (broken; capped at 1e30)",
    )
    ax.set(xlabel="time step", ylabel="max |c_t| (log scale)")
    ax.legend()
    save_png(
        fig, ctx.path("cell_state.png"), title="LSTM cell state with and without gate sigmoids"
    )
    detected = max(healthy) <= length and (not math.isfinite(broken[-1]) or broken[-1] > 1e6)
    return BreakOutcome(
        healthy={"max_abs_c_last": healthy[-1], "max_abs_c_any": max(healthy)},
        broken={"max_abs_c_last": broken[-1], "max_abs_c_any": max(broken)},
        symptom=(
            f"cell state reaches {broken[-1]:.3g} after {length} steps without σ, "
            f"vs at most {max(healthy):.3g} with it (bounded by t when 0 < f, i < 1)"
        ),
        detected=bool(detected),
    )
