"""Phase 13 lab and break: CBOW embeddings of the framed corpus, their geometry, and weight tying.

`13-cbow` trains CBOW (d = 32, two tokens each side) on the training split framed by `minicorpus.framing`, then
looks at what it learned: the loss curve against the seed's 2.5-nat bar, a PCA map of the verb forms, the cosine
heatmap of the 20 infinitives, the nearest neighbours of " work" by cosine and by Euclidean distance, the
effective rank of the table, and a linear tense probe fitted on half the verbs and tested on the other half.
The seed trained with lr 0.01 on a 64-token vocabulary; our tokenizer has 512 tokens, where lr 0.01 stops near
3.6 nats after 20 epochs, so the lab uses lr 0.1 (recorded in the config).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minicorpus.conjugate import english_past, english_present, get_entry
from minicorpus.verb_table import VERBS
from minigrad.functional import cross_entropy
from minigrad.tensor import Tensor
from minimodel.data import encode_split, load_tokenizer
from minimodel.embedding import (
    CBOW,
    cosine_matrix,
    effective_rank,
    make_cbow_pairs,
    make_embedding,
    nearest,
    pca_project,
    tied_logits,
    train_cbow,
)
from minitoken.bpe import BPETokenizer

LOSS_BAR = 2.5  # nats: the seed's CBOW acceptance threshold
FORMS = ("lemma", "3sg", "past")


def word_vector(table: np.ndarray, tokenizer: BPETokenizer, word: str) -> np.ndarray:
    """A word's vector: the mean of its tokens' rows (as it appears after a space in a sentence)."""
    vector: np.ndarray = table[tokenizer.encode(" " + word)].mean(axis=0)  # (d,)
    return vector


def verb_forms(verb: str) -> dict[str, str]:
    entry = get_entry(verb)
    return {"lemma": verb, "3sg": english_present(entry, "3sg"), "past": english_past(entry, None)}


def tense_probe(
    table: np.ndarray,
    tokenizer: BPETokenizer,
    train_verbs: Sequence[str],
    test_verbs: Sequence[str],
) -> dict[str, Any]:
    """Direction μ_past − μ_3sg from `train_verbs`; accuracy of its midpoint rule on `test_verbs`."""

    def vectors(verbs: Sequence[str], form: str) -> np.ndarray:
        return np.stack(
            [word_vector(table, tokenizer, verb_forms(v)[form]) for v in verbs]
        )  # (n, d)

    past, present = vectors(train_verbs, "past"), vectors(train_verbs, "3sg")  # (n, d) each
    direction = past.mean(0) - present.mean(0)  # (d,)
    direction /= np.linalg.norm(direction)
    midpoint = float((past.mean(0) + present.mean(0)) @ direction / 2)
    test_past = vectors(test_verbs, "past") @ direction  # (m,)
    test_present = vectors(test_verbs, "3sg") @ direction  # (m,)
    correct = int((test_past > midpoint).sum() + (test_present <= midpoint).sum())
    return {
        "heldout_accuracy": correct / (2 * len(test_verbs)),
        "heldout_past_projections": test_past.tolist(),
        "heldout_present_projections": test_present.tolist(),
        "midpoint": midpoint,
    }


def _plot_loss(ctx: LabContext, initial: float, losses: list[float]) -> None:
    fig, ax = figure()
    ax.plot(range(0, len(losses) + 1), [initial, *losses], marker="o", label="training loss")
    ax.axhline(LOSS_BAR, color="tab:red", linestyle="--", label=f"seed's bar ({LOSS_BAR} nats)")
    ax.axhline(initial, color="grey", linestyle=":", label="untrained ≈ ln V")
    ax.set(xlabel="epoch", ylabel="mean cross-entropy (nats)")
    ax.legend()
    save_png(fig, ctx.path("loss_curve.png"), title="CBOW training loss")


def _plot_geometry(ctx: LabContext, table: np.ndarray, tokenizer: BPETokenizer) -> None:
    words = [(v, form, verb_forms(v)[form]) for v in VERBS for form in FORMS]
    vectors = np.stack([word_vector(table, tokenizer, w) for _, _, w in words])  # (60, d)
    points, share = pca_project(vectors, 2)  # (60, 2), (2,)
    fig, ax = figure(width=9, height=7)
    markers = {"lemma": "o", "3sg": "^", "past": "s"}
    colours = {v: f"C{i % 10}" for i, v in enumerate(VERBS)}
    for (verb, form, word), (px, py) in zip(words, points, strict=True):
        ax.scatter(px, py, marker=markers[form], color=colours[verb], s=40)
        ax.annotate(word, (px, py), fontsize=7, xytext=(3, 2), textcoords="offset points")
    for form, marker in markers.items():
        ax.scatter([], [], marker=marker, color="grey", label=form)
    ax.set(xlabel=f"PC 1 ({share[0]:.0%} of variance)", ylabel=f"PC 2 ({share[1]:.0%})")
    ax.legend(title="form")
    save_png(fig, ctx.path("pca_scatter.png"), title="Verb forms in the CBOW space (PCA)")

    infinitives = np.stack([word_vector(table, tokenizer, v) for v in VERBS])  # (20, d)
    sims = cosine_matrix(infinitives)  # (20, 20)
    fig, ax = figure(width=8, height=7)
    image = ax.imshow(sims, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.grid(False)
    ax.set_xticks(range(len(VERBS)), VERBS, rotation=90)
    ax.set_yticks(range(len(VERBS)), VERBS)
    fig.colorbar(image, ax=ax, label="cosine similarity")
    save_png(fig, ctx.path("cosine_heatmap.png"), title="Cosine similarity of the 20 infinitives")


@lab("13-cbow", title="CBOW embeddings of the corpus: loss, PCA map, cosine heatmap, tense probe")
def cbow_lab(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {
                "epochs": 12,
                "dim": 32,
                "window": 2,
                "batch_size": 64,
                "lr": 0.1,
                "momentum": 0.9,
            },
            "default": {
                "epochs": 20,
                "dim": 32,
                "window": 2,
                "batch_size": 64,
                "lr": 0.1,
                "momentum": 0.9,
            },
            "full": {
                "epochs": 40,
                "dim": 32,
                "window": 2,
                "batch_size": 64,
                "lr": 0.1,
                "momentum": 0.9,
            },
        },
    )
    tokenizer = load_tokenizer()
    contexts, centres = make_cbow_pairs(encode_split(tokenizer, "train"), cfg["window"])
    model = CBOW(tokenizer.vocab_size, cfg["dim"], rng=ctx.rng)
    rank_init = effective_rank(model.embed.weight.data)
    history = train_cbow(
        model,
        contexts,
        centres,
        rng=ctx.rng,
        epochs=cfg["epochs"],
        batch_size=cfg["batch_size"],
        lr=cfg["lr"],
        momentum=cfg["momentum"],
    )
    table = model.embed.weight.data  # (V, d)
    used = np.unique(np.concatenate([contexts.ravel(), centres]))  # ids seen in training
    _plot_loss(ctx, history.initial_loss, history.epoch_losses)
    _plot_geometry(ctx, table, tokenizer)
    buffer = io.BytesIO()
    np.save(buffer, table, allow_pickle=False)
    ctx.path("embeddings.npy").write_bytes(buffer.getvalue())

    work = tokenizer.encode(" work")[0]

    def names(rows: list[int]) -> list[str]:  # rows of table[used] back to token strings
        return [tokenizer.decode([int(used[r])]) for r in rows]

    probe = tense_probe(table, tokenizer, VERBS[::2], VERBS[1::2])
    return {
        "pairs": len(centres),
        "vocab_size": tokenizer.vocab_size,
        "tokens_used": len(used),
        "initial_loss": history.initial_loss,
        "final_loss": history.epoch_losses[-1],
        "epoch_losses": history.epoch_losses,
        "loss_bar": LOSS_BAR,
        "below_bar": history.epoch_losses[-1] < LOSS_BAR,
        "effective_rank_init": rank_init,
        "effective_rank_final": effective_rank(table),
        "effective_rank_final_used_rows": effective_rank(table[used]),
        "nearest_work_cosine": names(nearest(table[used], int(np.searchsorted(used, work)), 5)),
        "nearest_work_euclidean": names(
            nearest(table[used], int(np.searchsorted(used, work)), 5, metric="euclidean")
        ),
        "tense_probe": {"train_verbs": list(VERBS[::2]), "test_verbs": list(VERBS[1::2]), **probe},
    }


@breaks(
    13,
    title="Tie input and output embeddings across different vocabulary sizes",
    change="output head tied to a 512-row embedding but scored against a 256-token vocabulary",
)
def tied_mismatch_break(ctx: LabContext) -> BreakOutcome:
    emb = make_embedding(512, 16, rng=ctx.rng)
    h = Tensor(ctx.rng.standard_normal((4, 8, 16)))  # (B, T, d)
    targets = ctx.rng.integers(0, 256, size=(4, 8))  # (B, T)
    healthy_logits = tied_logits(h, emb, 512)  # (B, T, 512)
    healthy = {
        "logits_shape": list(healthy_logits.shape),
        "loss": cross_entropy(healthy_logits, targets).item(),
    }
    try:
        tied_logits(h, emb, 256)
        broken: dict[str, Any] = {"raised": False, "error": ""}
    except ValueError as exc:
        broken = {"raised": True, "error": str(exc)}
    # what a silent "fix" would do: truncate the table to 256 rows, training half a vocabulary's chimera
    truncated = h @ emb.weight[:256].T  # (B, T, 256)
    broken["silently_truncated_loss"] = cross_entropy(truncated, targets).item()
    detected = bool(broken["raised"]) and "256" in broken["error"] and "512" in broken["error"]
    return BreakOutcome(
        healthy=healthy,
        broken=broken,
        symptom=f"the tied head refuses to run: {broken['error'] or 'no error (NOT detected)'}",
        detected=detected,
    )
