"""Phase 29 labs and break: lexical vs dense retrieval, RRF fusion, end-to-end faithfulness, index scaling.

- `29-bm25-vs-dense`: BM25 (with and without stopwords, stemming, title weighting) against the structured
  retriever, the hashing TF-IDF control and the trained bi-encoder, hit@1/3/5 and MRR on the labelled queries;
  BM25 checked against `rank_bm25` and timed against `bm25s` on the same KB in the same run.
- `29-hybrid-rrf`: hybrid (each fusion of BM25, structured and dense) against the single retrievers, and the
  RRF constant k swept from 1 to 200.

Every table is given per split (`dev`, where settings were chosen; `test`, what the docs report).
- `29-e2e-faithfulness`: the whole pipeline on the faithfulness set per retrieval mode: faithfulness, citation
  precision, hallucinated citations, the failure taxonomy, and `ask` latency.
- `29-index-scaling` (in `phase29_scaling.py`).
- Break 29: skip retrieval. The reader gets no rules, cites nothing, and regularises irregular verbs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.progress import track
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minirag.bm25 import BM25
from minirag.embed import Embedder, HashingEmbedder
from minirag.evaluate import KS, Query, faithfulness_eval, latency_ms, retrieval_eval
from minirag.labs._setup import Setup, setup
from minirag.lexicon import load_lexicon
from minirag.pipeline import RAGPipeline
from minirag.reader import regular_guess
from minirag.retriever import MODES, LexicalConfig, Mode, Retriever, Single
from minirag.text import analyze

SIZES = {"smoke": {"steps": 60}, "default": {"steps": 600}, "full": {"steps": 1500}}


def _summary(e: Mapping[str, Any]) -> dict[str, float]:
    return {**{f"hit@{k}": e[f"hit@{k}"]["value"] for k in KS}, "mrr": e["mrr"]["value"]}


def _table(
    variants: Mapping[str, tuple[Retriever, Mode]], queries: Mapping[str, list[Query]]
) -> dict[str, dict[str, dict[str, float]]]:
    """{split: {variant: hit@k/MRR}} for every (retriever, mode) variant."""
    return {
        split: {
            name: _summary(retrieval_eval(r, qs, mode))
            for name, (r, mode) in track(list(variants.items()), desc=f"retrievers ({split})")
        }
        for split, qs in queries.items()
    }


def _reported(s: Setup) -> str:
    """The split a figure is drawn from: `test` when the sets are split."""
    return "test" if "test" in s.retrieval else next(iter(s.retrieval))


def _bars(ctx: LabContext, rows: Mapping[str, Mapping[str, float]], name: str, title: str) -> None:
    fig, ax = figure(width=8.0)
    metrics = ["hit@1", "hit@3", "hit@5", "mrr"]
    width = 0.8 / len(rows)
    for i, (label, row) in enumerate(rows.items()):
        ax.bar(np.arange(4) + i * width, [row[m] for m in metrics], width, label=label)
    ax.set_xticks(np.arange(4) + 0.4 - width / 2, metrics)
    ax.set(ylim=(0, 1.05), ylabel="rate")
    ax.legend(fontsize=7)
    save_png(fig, ctx.path(name), title=title)


def _oracles(docs: list[list[str]], queries: list[list[str]]) -> dict[str, Any]:
    """Our BM25 (okapi idf) against rank_bm25's scores, and query throughput against bm25s (lucene idf)."""
    out: dict[str, Any] = {}
    try:
        import rank_bm25

        ours = BM25(docs, idf="okapi")
        oracle = rank_bm25.BM25Okapi(docs)
        out["max_abs_diff_vs_rank_bm25"] = max(
            float(np.abs(ours.scores(q) - oracle.get_scores(q)).max()) for q in queries
        )
    except ImportError:
        out["rank_bm25"] = "not installed (the `rag` extra)"
    try:
        import bm25s

        ours = BM25(docs)
        fast = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
        fast.index(docs, show_progress=False)
        known = [[t for t in q if t in ours.vocab] or [next(iter(ours.vocab))] for q in queries]
        reps = 20
        fast.retrieve([known[0]], k=5, show_progress=False)  # warm both before timing
        ours.top_k(known[0], 5)
        t0 = time.perf_counter()
        for _ in range(reps):
            for q in known:
                ours.top_k(q, 5)
        ours_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(reps):
            for q in known:
                fast.retrieve([q], k=5, show_progress=False)
        theirs_s = time.perf_counter() - t0
        n = reps * len(known)
        out["queries_per_s"] = {"ours": n / ours_s, "bm25s": n / theirs_s}
        out["ours_over_bm25s_throughput"] = theirs_s / ours_s
    except ImportError:
        out["bm25s"] = "not installed (the `rag` extra)"
    return out


@lab(
    "29-bm25-vs-dense",
    title="BM25 against dense retrieval (hashing TF-IDF and the trained bi-encoder)",
)
def bm25_vs_dense(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, SIZES)
    s = setup(ctx, int(cfg["steps"]))
    base = s.retriever
    chunks = base.chunks
    hashing = HashingEmbedder().fit([c.indexed_text for c in chunks])
    lx = base.lexical

    def lexical(cfg: LexicalConfig) -> Retriever:
        return Retriever(chunks, base.embedder, base.index.vectors, lexical=cfg, fuse=base.fuse)

    variants: dict[str, tuple[Retriever, Mode]] = {
        f"bm25 (default: stopwords out, title x{lx.title_weight})": (base, "bm25"),
        "bm25, title x1": (lexical(replace(lx, title_weight=1)), "bm25"),
        "bm25, all words": (lexical(replace(lx, stopwords=False)), "bm25"),
        "bm25 + stemmer": (lexical(replace(lx, stemming=True)), "bm25"),
        "structured (front matter)": (base, "structured"),
        "dense: hashing TF-IDF": (Retriever(chunks, hashing), "dense"),
        "dense: bi-encoder": (base, "dense"),
    }
    rows = _table(variants, s.retrieval)
    _bars(
        ctx,
        rows[_reported(s)],
        "bm25_vs_dense.png",
        f"Lexical, structured and dense retrieval ({_reported(s)} split, rule-level relevance)",
    )
    docs = [analyze(c.indexed_text, stopwords=True) for c in chunks]
    queries = [analyze(q.query, stopwords=True) for qs in s.retrieval.values() for q in qs]
    return {
        "n_queries": {split: len(qs) for split, qs in s.retrieval.items()},
        "n_chunks": len(chunks),
        "retrievers": rows,
        "bi_encoder_training": s.training,
        "oracles": _oracles(docs, queries),
    }


@lab("29-hybrid-rrf", title="Hybrid retrieval: Reciprocal Rank Fusion of BM25 and the bi-encoder")
def hybrid_rrf(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, {**SIZES, "default": {**SIZES["default"], "ks": [1, 5, 20, 60, 200]}})
    ks = [int(k) for k in cfg.get("ks", [1, 60])]
    s = setup(ctx, int(cfg["steps"]))
    r = s.retriever

    def fused(*lists: Single, k: int = r.rrf_k, embedder: Embedder | None = None) -> Retriever:
        if embedder is not None:
            return Retriever(r.chunks, embedder, lexical=r.lexical, rrf_k=k, fuse=lists)
        return Retriever(
            r.chunks, r.embedder, r.index.vectors, lexical=r.lexical, rrf_k=k, fuse=lists
        )

    hashing = HashingEmbedder().fit([c.indexed_text for c in r.chunks])
    variants: dict[str, tuple[Retriever, Mode]] = {mode: (r, mode) for mode in MODES}
    variants |= {
        "hybrid: BM25 + bi-encoder": (fused("bm25", "dense"), "hybrid"),
        "hybrid: BM25 + structured + bi-encoder": (
            fused("bm25", "structured", "dense"),
            "hybrid",
        ),
        "hybrid: BM25 + hashing": (fused("bm25", "dense", embedder=hashing), "hybrid"),
    }
    rows = _table(variants, s.retrieval)
    sweep = _table({str(k): (fused(*r.fuse, k=k), "hybrid") for k in ks}, s.retrieval)
    shown = _reported(s)
    _bars(
        ctx,
        rows[shown],
        "hybrid_vs_single.png",
        f"RRF fusions against each retriever alone ({shown})",
    )
    fig, ax = figure()
    for metric in ("hit@1", "hit@3", "mrr"):
        ax.plot(ks, [sweep[shown][str(k)][metric] for k in ks], marker="o", label=metric)
    ax.set(xscale="log", xlabel="RRF constant k", ylabel="rate", ylim=(0, 1.05))
    ax.legend()
    save_png(fig, ctx.path("rrf_k.png"), title=f"Hybrid quality against the RRF constant ({shown})")
    gain = {
        split: 100
        * (by["hybrid"]["hit@3"] - max(by[m]["hit@3"] for m in ("bm25", "dense", "structured")))
        for split, by in rows.items()
    }
    return {
        "fuse": list(r.fuse),
        "modes": rows,
        "hybrid_gain_hit@3_pp": gain,
        "rrf_k_sweep": sweep,
    }


@lab(
    "29-e2e-faithfulness",
    title="End-to-end RAG: faithfulness, citations and latency per retrieval mode",
)
def e2e_faithfulness(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, SIZES)
    s = setup(ctx, int(cfg["steps"]))
    pipeline = RAGPipeline(s.retriever)
    out: dict[str, Any] = {}
    for split, queries in s.faithfulness.items():
        runs: dict[str, dict[str, Any]] = {
            mode: faithfulness_eval(pipeline, queries, mode=mode) for mode in MODES
        }
        runs["no retrieval"] = faithfulness_eval(pipeline, queries, closed_book=True)
        out[split] = {
            name: {
                "faithfulness": run["faithfulness"]["value"],
                "pattern_ok": run["pattern_ok"]["value"],
                "citation_precision": run["citation_precision"],
                "hallucinated_citations": run["hallucinated_citations"],
                "failures": run["failures"],
            }
            for name, run in runs.items()
        } | {"n_queries": len(queries)}
    every = [q.query for qs in s.faithfulness.values() for q in qs]
    shown = out[_reported(s)]
    names = [*MODES, "no retrieval"]
    fig, ax = figure()
    ax.bar(names, [shown[n]["faithfulness"] for n in names], color="tab:green", label="faithful")
    ax.plot(names, [shown[n]["pattern_ok"] for n in names], "ko", label="answer matches")
    ax.set(ylim=(0, 1.05), ylabel="rate")
    ax.legend()
    save_png(
        fig,
        ctx.path("faithfulness.png"),
        title=f"Faithfulness = cites a right rule AND answers right ({_reported(s)})",
    )
    return {"splits": out, "latency_ms": latency_ms(pipeline, every)}


def _form_questions(pipeline: RAGPipeline, closed_book: bool) -> dict[str, Any]:
    """Past and participle questions for every irregular verb the KB documents, with or without retrieval."""
    lex = load_lexicon()
    documented = {v for c in pipeline.retriever.chunks for v in c.verbs}
    irregular = [
        v
        for v in lex.verbs
        if v in documented
        and lex.form(v, "past_participle") != regular_guess(v, "past_participle", "3sg")
    ]
    asked = right = regularised = 0
    for verb in irregular:
        for tense, phrase in (
            ("past_simple", "past simple"),
            ("past_participle", "past participle"),
        ):
            answer = pipeline.ask(
                f"what is the {phrase} of {verb}?", closed_book=closed_book
            ).answer
            truth, guess = lex.form(verb, tense), regular_guess(verb, tense, "3sg")
            asked += 1
            right += answer.form == truth
            regularised += answer.form == guess != truth
    return {"asked": asked, "right": right / asked, "regularised": regularised / asked}


@breaks(
    29,
    title="Skip retrieval: the reader answers closed-book",
    change="RAGPipeline.ask(closed_book=True): no rules reach the reader",
)
def skip_retrieval(ctx: LabContext) -> BreakOutcome:
    cfg = settings(ctx, SIZES)
    s = setup(ctx, int(cfg["steps"]))
    pipeline = RAGPipeline(s.retriever)
    found = {}
    for name, closed in (("healthy", False), ("broken", True)):
        every = [q for qs in s.faithfulness.values() for q in qs]
        run = faithfulness_eval(pipeline, every, closed_book=closed)
        found[name] = {
            "faithfulness": run["faithfulness"]["value"],
            "accuracy": run["pattern_ok"]["value"],
            "cited_answers": sum(bool(r["cited"]) for r in run["rows"]),
            "irregular_forms": _form_questions(pipeline, closed),
        }
    h, b = found["healthy"], found["broken"]
    detected = (
        h["accuracy"] - b["accuracy"] >= 0.30
        and b["faithfulness"] == 0.0
        and b["cited_answers"] == 0
        and b["irregular_forms"]["regularised"] >= 0.9
        and h["irregular_forms"]["regularised"] <= b["irregular_forms"]["regularised"] - 0.5
    )
    return BreakOutcome(
        healthy=h,
        broken=b,
        symptom="accuracy drops by 30+ points, faithfulness falls to 0, irregular verbs come back regularised",
        detected=detected,
    )


__all__ = ["bm25_vs_dense", "e2e_faithfulness", "hybrid_rrf", "skip_retrieval"]
