"""Build and load the RAG index: chunk the KB, train the bi-encoder, embed the chunks, save, record a manifest.

`artifacts/rag/` (default) then holds `biencoder.safetensors` + `biencoder.json` (the trained encoder),
`index.safetensors` + `index.json` (chunks, settings, the chunk embedding matrix) and `manifest.json` (seed,
config, git state, versions, hardware, sha256 of every file, the training summary) — no pickle anywhere. The
whole build is seeded and takes seconds on one core, so the index is rebuilt with one command whenever the KB
changes, rather than shipped stale.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lynx_cortex.artifacts import artifacts_dir
from lynx_cortex.errors import LynxError
from lynx_cortex.manifest import Stopwatch, record_manifest, sha256_file
from minirag.biencoder import BiEncoder, BiEncoderConfig, grammar_embeddings, train_biencoder
from minirag.chunk import DEFAULT_BUDGET, DEFAULT_OVERLAP, chunk_rules
from minirag.kb import kb_dir, load_rules
from minirag.retriever import LexicalConfig, Retriever
from minitoken.shipped import load_shipped

RAG_DIR = "rag"


def default_index_dir() -> Path:
    return artifacts_dir() / RAG_DIR


@dataclass(frozen=True)
class BuildConfig:
    budget: int = DEFAULT_BUDGET
    overlap: int = DEFAULT_OVERLAP
    lexical: LexicalConfig = field(default_factory=LexicalConfig)
    encoder: BiEncoderConfig = field(default_factory=BiEncoderConfig)


def kb_fingerprint(folder: Path) -> str:
    """One sha256 over the KB's rule files (path and content), so an index says which KB it indexes.
    Documentation files (capitalised: README.md, COVERAGE.md) are not rules and do not count."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*.md") if p.name[0].islower()):
        digest.update(
            path.relative_to(folder).as_posix().encode() + b"\0" + sha256_file(path).encode()
        )
    return digest.hexdigest()


def build_index(
    kb: Path | None = None, out: Path | None = None, cfg: BuildConfig | None = None
) -> tuple[Retriever, dict[str, Any]]:
    """Everything `lynx rag index` does; returns the retriever and the training summary."""
    cfg = cfg or BuildConfig()
    folder = kb if kb is not None else kb_dir()
    target = out if out is not None else default_index_dir()
    watch = Stopwatch()
    rules = load_rules(folder)
    if len({r.id for r in rules}) < 2:
        raise LynxError(
            f"{folder} holds {len(rules)} rule files; an index needs at least two rules"
        )
    tokenizer = load_shipped()
    chunks = chunk_rules(
        rules, lambda t: len(tokenizer.encode(t)), budget=cfg.budget, overlap=cfg.overlap
    )
    encoder, summary = train_biencoder(rules, chunks, tokenizer, grammar_embeddings(), cfg.encoder)
    retriever = Retriever(chunks, encoder, lexical=cfg.lexical)
    target.mkdir(parents=True, exist_ok=True)
    fingerprint = kb_fingerprint(folder)
    files = encoder.save(target, {"training": summary, "kb_sha256": fingerprint})
    files += retriever.save(target, {"kb_sha256": fingerprint, "rules": len(rules)})
    record_manifest(
        target,
        seed=cfg.encoder.seed,
        config={**asdict(cfg), "kb": str(folder)},
        artifacts=files,
        started_at=watch.started_at,
        wall_s=watch.elapsed(),
        run_id="rag-index",
        extra={"training": summary, "chunks": len(chunks), "rules": len(rules)},
    )
    return retriever, summary


def load_retriever(directory: Path | None = None) -> Retriever:
    """The saved retriever with its trained bi-encoder (`lynx rag index` writes both). The default index must
    have been built from the current KB: a stale one is refused rather than silently answering from old rules."""
    folder = directory if directory is not None else default_index_dir()
    if not (folder / "biencoder.safetensors").is_file():
        raise LynxError(f"no trained bi-encoder in {folder}; build the index with `lynx rag index`")
    encoder = BiEncoder.load(folder, load_shipped())
    retriever = Retriever.load(folder, encoder)
    if directory is None and kb_dir().is_dir():
        built_from = retriever.meta.get("kb_sha256")
        if built_from != kb_fingerprint(kb_dir()):
            raise LynxError(
                f"the KB changed since {folder} was built; rebuild it with `lynx rag index`"
            )
    return retriever


def index_info(directory: Path | None = None) -> dict[str, Any]:
    folder = directory if directory is not None else default_index_dir()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return {
        "chunks": manifest.get("chunks"),
        "rules": manifest.get("rules"),
        "training": manifest.get("training"),
    }


__all__ = [
    "BuildConfig",
    "build_index",
    "default_index_dir",
    "index_info",
    "kb_fingerprint",
    "load_retriever",
]
