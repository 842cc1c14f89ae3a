"""A small bi-encoder over the shipped BPE tokenizer, trained with in-batch-negative InfoNCE in `minigrad`.

encode(text) = normalise( Σ_t α_t E[id_t] · W ), α = softmax_t(E[id_t] · a): a bag of BPE-token embeddings,
pooled, projected to `dim`, L2-normalised so a dot product is a cosine. With a = 0 (the default, `pooling =
"mean"`) α is uniform: mean pooling. `pooling = "attention"` also trains `a`, one learned query vector that
can learn to weigh "eaten" above "what" and "the"; on the KB it measured no better than the mean, so the mean
is the default. E starts from the grammar Mini-GPT's token embeddings (the "our BPE embeddings" of phase
13/17), W from a scaled random matrix; both are trained.

InfoNCE with in-batch negatives: for a batch of B (query, chunk) pairs from B *different* rules, the
similarity matrix S = Q·Cᵀ/τ (B, B) has the positives on its diagonal, and the loss is the cross-entropy of
each row (query → its chunk among B) and of each column (chunk → its query). Every other pair in the batch is
a free negative. Pairs come from the KB itself (titles, body sentences, questions generated from the truth
table for the verbs and tenses a rule declares); the labelled evaluation queries are never seen.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from lynx_cortex.artifacts import artifacts_dir, verify
from lynx_cortex.errors import LynxError
from lynx_cortex.progress import bar
from minigrad import Tensor
from minigrad.functional import cross_entropy, softmax
from minigrad.fused import embedding
from minigrad.optim import Adam
from minirag.chunk import Chunk
from minirag.embed import F32, l2_normalize
from minirag.kb import Rule
from minirag.synth import training_pairs
from minitoken.bpe import BPETokenizer

GRAMMAR_CHECKPOINT = "checkpoints/grammar"
PAD = -1  # padding position (masked out of the mean)


@dataclass(frozen=True)
class BiEncoderConfig:
    dim: int = 64
    steps: int = 600
    batch: int = 32
    lr: float = 1e-2
    tau: float = 0.1
    max_tokens: int = 96
    seed: int = 0
    pooling: str = (
        "attention"  # or "mean": the attention vector stays at zero, i.e. uniform weights
    )


def grammar_embeddings(root: Path | None = None) -> F32:
    """The shipped grammar Mini-GPT's token-embedding table (V, D), sha-verified like every artifact."""
    base = root if root is not None else artifacts_dir()
    directory = base / GRAMMAR_CHECKPOINT
    verify(directory, root=base)
    return load_file(str(directory / "model.safetensors"))["tok_emb.weight"].astype(np.float32)


class BiEncoder:
    """The trained encoder: an embedding table and a projection, applied with NumPy at inference."""

    def __init__(
        self, tokenizer: BPETokenizer, table: F32, attn: F32, proj: F32, max_tokens: int = 96
    ) -> None:
        self.tokenizer = tokenizer
        self.table = table  # (V, D)
        self.attn = attn  # (D,)
        self.proj = proj  # (D, dim)
        self.max_tokens = max_tokens

    @property
    def dim(self) -> int:
        return int(self.proj.shape[1])

    def ids(self, texts: Sequence[str]) -> npt.NDArray[np.int64]:
        """Lower-cased BPE ids, right-padded with PAD to the longest text (capped at max_tokens): (N, T)."""
        rows = [self.tokenizer.encode(t.lower())[: self.max_tokens] or [0] for t in texts]
        width = max(len(r) for r in rows)
        out = np.full((len(rows), width), PAD, dtype=np.int64)
        for i, r in enumerate(rows):
            out[i, : len(r)] = r
        return out

    def embed(self, texts: Sequence[str]) -> F32:
        ids = self.ids(texts)  # (N, T)
        rows = self.table[np.maximum(ids, 0)]  # (N, T, D)
        logits = np.where(ids != PAD, rows @ self.attn, -np.inf)  # (N, T)
        alpha = np.exp(logits - logits.max(axis=1, keepdims=True))
        alpha /= alpha.sum(axis=1, keepdims=True)  # (N, T), zero on padding
        pooled = np.einsum("nt,ntd->nd", alpha, rows)  # (N, D)
        return l2_normalize(pooled @ self.proj)  # (N, dim)

    def save(self, directory: Path, meta: Mapping[str, Any]) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        weights = directory / "biencoder.safetensors"
        save_file({"table": self.table, "attn": self.attn, "proj": self.proj}, str(weights))
        info = directory / "biencoder.json"
        info.write_text(
            json.dumps({"max_tokens": self.max_tokens, **meta}, indent=2, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        return [weights, info]

    @classmethod
    def load(cls, directory: Path, tokenizer: BPETokenizer) -> BiEncoder:
        """The saved encoder; a damaged file is a `LynxError` naming it, never a traceback."""
        weights, info = directory / "biencoder.safetensors", directory / "biencoder.json"
        try:
            tensors = load_file(str(weights))
            meta = json.loads(info.read_text(encoding="utf-8"))
            table, attn, proj = tensors["table"], tensors["attn"], tensors["proj"]
            max_tokens = int(meta["max_tokens"])
        except (OSError, ValueError, KeyError, TypeError, SafetensorError) as exc:
            raise LynxError(
                f"{directory}: cannot read the bi-encoder ({exc}); rebuild it with `lynx rag index`"
            ) from None
        if table.ndim != 2 or attn.shape != (table.shape[1],) or proj.shape[0] != table.shape[1]:
            raise LynxError(
                f"{weights}: tensor shapes do not fit together; rebuild it with `lynx rag index`"
            )
        return cls(tokenizer, table, attn, proj, max_tokens)


NEG = -1e9  # additive mask for padding positions before the softmax


def _pooled(table: Tensor, ids: npt.NDArray[np.int64], attn: Tensor, proj: Tensor) -> Tensor:
    """The training-graph twin of `BiEncoder.embed` (same maths, through minigrad)."""
    b, t = ids.shape
    rows = embedding(table, np.maximum(ids, 0))  # (B, T, D)
    logits = (rows @ attn.reshape(-1, 1)).reshape(b, t)  # (B, T)
    alpha = softmax(logits + Tensor(np.where(ids != PAD, 0.0, NEG).astype(np.float32)), axis=1)
    pooled = (rows * alpha.reshape(b, t, 1)).sum(axis=1)  # (B, D)
    z = pooled @ proj  # (B, dim)
    return z * ((z * z).sum(axis=-1, keepdims=True) + 1e-12) ** -0.5  # (B, dim) unit rows


def train_biencoder(
    rules: Sequence[Rule],
    chunks: Sequence[Chunk],
    tokenizer: BPETokenizer,
    init_table: F32,
    cfg: BiEncoderConfig,
) -> tuple[BiEncoder, dict[str, Any]]:
    """Train from KB-derived pairs; returns the encoder and a summary (losses, pair counts, wall time)."""
    rng = np.random.default_rng(cfg.seed)
    pairs = training_pairs(rules)  # rule id -> query-like texts
    docs: dict[str, list[str]] = {}
    for c in chunks:
        docs.setdefault(c.rule_id, []).append(c.indexed_text)
    rule_ids = sorted(set(pairs) & set(docs))
    if len(rule_ids) < 2:
        raise ValueError("InfoNCE needs at least two rules with chunks (in-batch negatives)")
    batch = min(cfg.batch, len(rule_ids))
    d_model = init_table.shape[1]
    table = Tensor(init_table.copy(), requires_grad=True)  # (V, D)
    attn = Tensor(np.zeros(d_model, dtype=np.float32), requires_grad=True)  # (D,)
    proj = Tensor(
        rng.normal(0.0, d_model**-0.5, size=(d_model, cfg.dim)).astype(np.float32),
        requires_grad=True,
    )
    encoder = BiEncoder(tokenizer, table.data, attn.data, proj.data, cfg.max_tokens)
    cache: dict[str, list[int]] = {}

    def ids(texts: list[str]) -> npt.NDArray[np.int64]:
        rows = [
            cache.setdefault(t, tokenizer.encode(t.lower())[: cfg.max_tokens] or [0]) for t in texts
        ]
        out = np.full((len(rows), max(len(r) for r in rows)), PAD, dtype=np.int64)
        for i, r in enumerate(rows):
            out[i, : len(r)] = r
        return out

    if cfg.pooling not in ("attention", "mean"):
        raise ValueError(f"pooling must be 'attention' or 'mean', got {cfg.pooling!r}")
    opt = Adam([table, attn, proj] if cfg.pooling == "attention" else [table, proj], lr=cfg.lr)
    targets = np.arange(batch)
    losses: list[float] = []
    started = time.perf_counter()
    with bar(total=cfg.steps, desc="bi-encoder InfoNCE") as progress:
        for _ in range(cfg.steps):
            chosen = rng.choice(len(rule_ids), size=batch, replace=False)
            queries = [pairs[rule_ids[i]][rng.integers(len(pairs[rule_ids[i]]))] for i in chosen]
            passages = [docs[rule_ids[i]][rng.integers(len(docs[rule_ids[i]]))] for i in chosen]
            q = _pooled(table, ids(queries), attn, proj)  # (B, dim)
            p = _pooled(table, ids(passages), attn, proj)  # (B, dim)
            sim = (q @ p.T) * (1.0 / cfg.tau)  # (B, B), positives on the diagonal
            loss = (cross_entropy(sim, targets) + cross_entropy(sim.T, targets)) * 0.5
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.data))
            progress.update(1)
    encoder.table, encoder.attn, encoder.proj = table.data, attn.data, proj.data
    summary = {
        "config": asdict(cfg),
        "rules": len(rule_ids),
        "training_texts": sum(len(pairs[r]) for r in rule_ids),
        "loss_first": losses[0],
        "loss_last10": float(np.mean(losses[-10:])),
        "chance_loss": float(np.log(batch)),
        "train_s": time.perf_counter() - started,
    }
    return encoder, summary


__all__ = ["BiEncoder", "BiEncoderConfig", "grammar_embeddings", "train_biencoder"]
