"""`lynx rag`: build the retrieval index, ask the grammar KB a question, evaluate retrieval and faithfulness
(phase 29)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from lynx_cortex.cli._common import CONTEXT, EXIT_FAILED_CHECK, OUT_DIR, LynxGroup

MODE = click.Choice(["bm25", "dense", "structured", "hybrid"])
INDEX = click.option(
    "--index",
    "index_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Index folder (default artifacts/rag, written by `lynx rag index`).",
)


@click.group(
    "rag", cls=LynxGroup, context_settings=CONTEXT, short_help="Retrieval over the grammar KB."
)
def group() -> None:
    """Retrieval-augmented answers from the grammar-rule knowledge base (phase 29)."""


@group.command(
    "index",
    context_settings=CONTEXT,
    short_help="Chunk the KB, train the bi-encoder, save the index.",
)
@click.option(
    "--kb", type=click.Path(path_type=Path, file_okay=False), help="KB folder (default data/kb)."
)
@click.option("--out", type=OUT_DIR, help="Index folder (default artifacts/rag).")
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=0, show_default=True)
@click.option(
    "--steps", type=click.IntRange(1, 100_000), help="Bi-encoder training steps (default 600)."
)
def index_command(kb: Path | None, out: Path | None, seed: int, steps: int | None) -> None:
    """Chunk the KB, train the bi-encoder (InfoNCE, seeded, seconds on one core), embed, save, manifest."""
    from dataclasses import replace

    from minirag.biencoder import BiEncoderConfig
    from minirag.build import BuildConfig, build_index, default_index_dir

    encoder = replace(BiEncoderConfig(), seed=seed)
    if steps is not None:
        encoder = replace(encoder, steps=steps)
    retriever, summary = build_index(kb, out, BuildConfig(encoder=encoder))
    target = out if out is not None else default_index_dir()
    click.echo(
        f"indexed {len(retriever.chunks)} chunks of {summary['rules']} rules into {target} "
        f"(bi-encoder: {encoder.steps} steps in {summary['train_s']:.1f} s, InfoNCE "
        f"{summary['loss_first']:.3f} -> {summary['loss_last10']:.3f}, chance {summary['chance_loss']:.3f})"
    )


@group.command(
    "ask", context_settings=CONTEXT, short_help="Answer a question from the KB, with citations."
)
@click.argument("query")
@click.option(
    "--k", "k", type=click.IntRange(1, 50), default=5, show_default=True, help="Chunks retrieved."
)
@click.option("--mode", type=MODE, default="hybrid", show_default=True)
@click.option(
    "--json", "as_json", is_flag=True, help="Print {query, retrieved, answer, cited_chunks}."
)
@INDEX
def ask_command(query: str, k: int, mode: str, as_json: bool, index_dir: Path | None) -> None:
    """Answer QUERY from the retrieved rules, citing them as [chunk_id]."""
    from minirag.build import load_retriever
    from minirag.pipeline import RAGPipeline

    result = RAGPipeline(load_retriever(index_dir)).ask(query, k=k, mode=mode)  # type: ignore[arg-type]
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
        return
    click.echo(result.answer.text)
    for hit in result.hits:
        mark = "*" if hit.chunk_id in result.cited else " "
        click.echo(f" {mark} {hit.score:8.4f}  {hit.chunk_id}  {hit.chunk.title}")


@group.command(
    "eval", context_settings=CONTEXT, short_help="Score retrieval and faithfulness; write a report."
)
@INDEX
@click.option(
    "--queries",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder with retrieval.jsonl and faithfulness.jsonl (default data/kb/queries).",
)
@click.option("--out", type=OUT_DIR, help="Report folder (default experiments/rag/eval-DATE).")
@click.option("--k", "k", type=click.IntRange(1, 50), default=5, show_default=True)
def eval_command(index_dir: Path | None, queries: Path | None, out: Path | None, k: int) -> None:
    """Score bm25 / dense / hybrid retrieval and end-to-end faithfulness on the dev and test splits (the goals are
    judged on test); write REPORT.md and metrics.json.

    Exits 1 when any answer cites a chunk that was not retrieved (a hallucinated citation)."""
    from lynx_cortex.atomic import write_json_atomic, write_text_atomic
    from lynx_cortex.labkit import jsonable
    from lynx_cortex.manifest import Stopwatch, record_manifest
    from lynx_cortex.paths import experiments_dir
    from minirag.build import default_index_dir, load_retriever
    from minirag.evaluate import evaluate_splits, read_queries, render_split_report, retrieval_table
    from minirag.kb import kb_dir
    from minirag.pipeline import RAGPipeline
    from minirag.split import load_split, split_queries

    watch = Stopwatch()
    folder = queries if queries is not None else kb_dir() / "queries"
    split = load_split(folder)
    retrieval = split_queries(
        read_queries(folder / "retrieval.jsonl"), split["retrieval"] if split else None
    )
    faithful = split_queries(
        read_queries(folder / "faithfulness.jsonl", faithfulness=True),
        split["faithfulness"] if split else None,
    )
    index = index_dir if index_dir is not None else default_index_dir()
    results = evaluate_splits(RAGPipeline(load_retriever(index)), retrieval, faithful, k=k)
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    target = out if out is not None else experiments_dir() / "rag" / f"eval-{date}"
    target.mkdir(parents=True, exist_ok=True)
    header = [f"Index `{index}`, queries `{folder}`, k = {k}, {date}. Regenerate: `lynx rag eval`."]
    files = [
        write_text_atomic(
            target / "REPORT.md",
            render_split_report(results, title="Phase 29 — RAG evaluation", header=header),
        ),
        write_json_atomic(target / "metrics.json", jsonable(results)),
    ]
    record_manifest(
        target,
        seed=0,
        config={"index": str(index), "queries": str(folder), "k": k},
        artifacts=files,
        started_at=watch.started_at,
        wall_s=watch.elapsed(),
    )
    bad = 0
    for name, res in results["splits"].items():
        hybrid = res["faithfulness"]["hybrid"]
        bad += sum(f["hallucinated_citations"] for f in res["faithfulness"].values())
        click.echo(
            f"split {name} ({res['n_retrieval']} retrieval, {res['n_faithfulness']} faithfulness):"
        )
        click.echo(retrieval_table(res))
        click.echo(
            f"faithfulness (hybrid, k={k}): {hybrid['faithfulness']['value']:.3f}; "
            f"ask p95 {res['latency_ms']['p95']:.2f} ms"
        )
    met = sum(g["met"] for g in results["goals"])
    click.echo(
        f"goals met on {results['goals_on']}: {met}/{len(results['goals'])}; hallucinated citations: {bad}; "
        f"report: {target / 'REPORT.md'}"
    )
    if bad:
        raise SystemExit(EXIT_FAILED_CHECK)
