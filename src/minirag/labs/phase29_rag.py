"""Phase 29 labs and break: lexical vs dense retrieval, RRF fusion, end-to-end faithfulness, index scaling.

- `29-bm25-vs-dense`: BM25 (with and without stopwords and stemming) against the hashing TF-IDF control and
  the trained bi-encoder, hit@1/3/5 and MRR on the labelled queries; BM25 checked against `rank_bm25` and
  timed against `bm25s` on the same KB in the same run.
- `29-hybrid-rrf`: hybrid against both single retrievers, and the RRF constant k swept from 1 to 200.
- `29-e2e-faithfulness`: the whole pipeline on the faithfulness set per retrieval mode: faithfulness, citation
  precision, hallucinated citations, the failure taxonomy, and `ask` latency.
- `29-index-scaling` (in `phase29_scaling.py`).
- Break 29: skip retrieval. The reader gets no rules, cites nothing, and regularises irregular verbs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.progress import track
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minirag.bm25 import BM25
from minirag.embed import HashingEmbedder
from minirag.evaluate import KS, faithfulness_eval, latency_ms, retrieval_eval
from minirag.labs._setup import setup
from minirag.lexicon import load_lexicon
from minirag.pipeline import RAGPipeline
from minirag.reader import regular_guess
from minirag.retriever import MODES, LexicalConfig, Retriever
from minirag.text import analyze

SIZES = {"smoke": {"steps": 60}, "default": {"steps": 600}, "full": {"steps": 1500}}


def _summary(e: Mapping[str, Any]) -> dict[str, float]:
    return {**{f"hit@{k}": e[f"hit@{k}"]["value"] for k in KS}, "mrr": e["mrr"]["value"]}


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
    variants: dict[str, tuple[Retriever, str]] = {
        "bm25 (stopwords out)": (base, "bm25"),
        "bm25 (all words)": (
            Retriever(
                chunks, base.embedder, base.index.vectors, lexical=LexicalConfig(stopwords=False)
            ),
            "bm25",
        ),
        "bm25 + stemmer": (
            Retriever(
                chunks, base.embedder, base.index.vectors, lexical=LexicalConfig(stemming=True)
            ),
            "bm25",
        ),
        "dense: hashing TF-IDF": (Retriever(chunks, hashing), "dense"),
        "dense: bi-encoder": (base, "dense"),
    }
    rows = {
        name: _summary(retrieval_eval(r, s.retrieval, mode))  # type: ignore[arg-type]
        for name, (r, mode) in track(list(variants.items()), desc="retrievers")
    }
    _bars(ctx, rows, "bm25_vs_dense.png", "Lexical against dense retrieval (rule-level relevance)")
    docs = [analyze(c.indexed_text, stopwords=True) for c in chunks]
    queries = [analyze(q.query, stopwords=True) for q in s.retrieval]
    return {
        "n_queries": len(s.retrieval),
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
    rows: dict[str, dict[str, float]] = {
        mode: _summary(retrieval_eval(r, s.retrieval, mode)) for mode in MODES
    }
    hashing = HashingEmbedder().fit([c.indexed_text for c in r.chunks])
    with_control = Retriever(r.chunks, hashing, lexical=r.lexical)
    rows["hybrid: BM25 + hashing"] = _summary(retrieval_eval(with_control, s.retrieval, "hybrid"))
    sweep: dict[int, dict[str, float]] = {}
    for k in track(ks, desc="RRF k"):
        fused = Retriever(r.chunks, r.embedder, r.index.vectors, lexical=r.lexical, rrf_k=k)
        sweep[k] = _summary(retrieval_eval(fused, s.retrieval, "hybrid"))
    _bars(ctx, rows, "hybrid_vs_single.png", "RRF (k = 60) against each retriever alone")
    fig, ax = figure()
    for metric in ("hit@1", "hit@3", "mrr"):
        ax.plot(ks, [sweep[k][metric] for k in ks], marker="o", label=metric)
    ax.set(xscale="log", xlabel="RRF constant k", ylabel="rate", ylim=(0, 1.05))
    ax.legend()
    save_png(fig, ctx.path("rrf_k.png"), title="Hybrid quality against the RRF constant")
    best_single = max(rows["bm25"]["hit@3"], rows["dense"]["hit@3"])
    return {
        "modes": rows,
        "hybrid_gain_hit@3_pp": 100 * (rows["hybrid"]["hit@3"] - best_single),
        "rrf_k_sweep": {str(k): v for k, v in sweep.items()},
    }


@lab(
    "29-e2e-faithfulness",
    title="End-to-end RAG: faithfulness, citations and latency per retrieval mode",
)
def e2e_faithfulness(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, SIZES)
    s = setup(ctx, int(cfg["steps"]))
    pipeline = RAGPipeline(s.retriever)
    runs: dict[str, dict[str, Any]] = {
        mode: faithfulness_eval(pipeline, s.faithfulness, mode=mode) for mode in MODES
    }
    runs["no retrieval"] = faithfulness_eval(pipeline, s.faithfulness, closed_book=True)
    lat = latency_ms(pipeline, [q.query for q in s.faithfulness])
    fig, ax = figure()
    names = list(runs)
    ax.bar(
        names,
        [runs[n]["faithfulness"]["value"] for n in names],
        color="tab:green",
        label="faithful",
    )
    ax.plot(names, [runs[n]["pattern_ok"]["value"] for n in names], "ko", label="answer matches")
    ax.set(ylim=(0, 1.05), ylabel="rate")
    ax.legend()
    save_png(
        fig,
        ctx.path("faithfulness.png"),
        title="Faithfulness = cites a right rule AND answers right",
    )
    return {
        name: {
            "faithfulness": run["faithfulness"]["value"],
            "pattern_ok": run["pattern_ok"]["value"],
            "citation_precision": run["citation_precision"],
            "hallucinated_citations": run["hallucinated_citations"],
            "failures": run["failures"],
        }
        for name, run in runs.items()
    } | {"latency_ms": lat, "n_queries": len(s.faithfulness)}


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
        run = faithfulness_eval(pipeline, s.faithfulness, closed_book=closed)
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
