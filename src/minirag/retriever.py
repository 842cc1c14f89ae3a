"""`Retriever`: BM25, dense (flat inner product), structured (front-matter facets) or hybrid (RRF of some of
them; BM25 + structured by default) search over KB chunks.

One object holds the chunks, a BM25 index over their words, a `FlatIndex` over their embeddings and the
chunks' front matter, so the modes rank the same candidates and differ only in how.

By default the top k are k *different rules* (`per_rule=True`): a rule is cut into several chunks and exists
in two languages, and without this its chunks crowd the top 5 with one answer five times. Each retriever
ranks rules by their best chunk; hybrid fuses those rule rankings (the top `pool` of each, 20 by default:
deep enough that a rule one retriever ranks 15th can still be rescued by the other) with RRF, and shows each
rule by the chunk that ranked best in either list. With `per_rule=False` everything happens on chunks. Saved as `index.json` (chunks, settings) + `index.safetensors` (the embedding matrix); BM25 is
rebuilt on load because fitting it on a few hundred chunks costs less than reading it would.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from lynx_cortex.atomic import write_json_atomic
from lynx_cortex.errors import LynxError
from minirag.bm25 import BM25, Idf
from minirag.chunk import Chunk
from minirag.embed import Embedder
from minirag.facets import facets
from minirag.fusion import RRF_K, rrf
from minirag.index import FlatIndex
from minirag.structured import StructuredScorer
from minirag.text import analyze

Mode = Literal["bm25", "dense", "structured", "hybrid"]
MODES: tuple[Mode, ...] = ("bm25", "dense", "structured", "hybrid")
Single = Literal["bm25", "dense", "structured"]
FUSE: tuple[Single, ...] = ("bm25", "structured")
INDEX_FORMAT = "lynx-rag-index/1"
POOL = 20


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float

    @property
    def chunk_id(self) -> str:
        return self.chunk.chunk_id

    @property
    def rule_id(self) -> str:
        return self.chunk.rule_id


@dataclass(frozen=True)
class LexicalConfig:
    k1: float = 1.5
    b: float = 0.75
    idf: Idf = "lucene"
    stemming: bool = False
    stopwords: bool = True
    # The title counted this many times in a chunk's BM25 document: a field weight (BM25F, lite), since a
    # rule's title is its summary.
    title_weight: int = 3


class Retriever:
    def __init__(
        self,
        chunks: Sequence[Chunk],
        embedder: Embedder,
        vectors: np.ndarray | None = None,
        *,
        lexical: LexicalConfig | None = None,
        rrf_k: int = RRF_K,
        pool: int = POOL,
        per_rule: bool = True,
        fuse: Sequence[Single] = FUSE,
    ) -> None:
        if not chunks:
            raise LynxError("the retriever needs at least one chunk")
        self.chunks = list(chunks)
        self.embedder = embedder
        self.lexical = lexical or LexicalConfig()
        self.rrf_k, self.pool, self.per_rule = rrf_k, pool, per_rule
        self.fuse: tuple[Single, ...] = tuple(fuse)
        if not self.fuse or not set(self.fuse) <= {"bm25", "dense", "structured"}:
            raise LynxError(f"hybrid fuses bm25, dense and/or structured, not {fuse!r}")
        self.structured = StructuredScorer(self.chunks)
        lx = self.lexical
        if lx.title_weight < 1:
            raise LynxError(f"title_weight must be at least 1, got {lx.title_weight}")
        self.bm25 = BM25(
            [
                analyze(
                    "\n".join([c.title] * (lx.title_weight - 1) + [c.indexed_text]),
                    stemming=lx.stemming,
                    stopwords=lx.stopwords,
                )
                for c in self.chunks
            ],
            k1=lx.k1,
            b=lx.b,
            idf=lx.idf,
        )
        matrix = (
            vectors
            if vectors is not None
            else embedder.embed([c.indexed_text for c in self.chunks])
        )
        self.index = FlatIndex(matrix)  # (N, d)
        if len(self.index) != len(self.chunks) or self.index.dim != embedder.dim:
            raise LynxError(
                f"index holds {len(self.index)} vectors of dim {self.index.dim} for {len(self.chunks)} "
                f"chunks and a dim-{embedder.dim} embedder; rebuild it with `lynx rag index`"
            )
        self.by_id = {c.chunk_id: c for c in self.chunks}
        self.meta: dict[str, Any] = {}  # what index.json recorded (set by `load`)

    def _diverse(self, order: np.ndarray, scores: np.ndarray, k: int) -> list[Hit]:
        """The first k hits of a ranked chunk order, keeping only each rule's best chunk when per_rule."""
        hits: list[Hit] = []
        seen: set[str] = set()
        for i in order:
            chunk = self.chunks[int(i)]
            if self.per_rule and chunk.rule_id in seen:
                continue
            seen.add(chunk.rule_id)
            hits.append(Hit(chunk, float(scores[int(i)])))
            if len(hits) == k:
                break
        return hits

    def _bm25_scores(self, query: str) -> np.ndarray:
        lx = self.lexical
        return self.bm25.scores(
            analyze(query, stemming=lx.stemming, stopwords=lx.stopwords)
        )  # (N,)

    def _bm25(self, query: str, k: int) -> list[Hit]:
        scores = self._bm25_scores(query)  # (N,)
        order = np.lexsort((np.arange(len(scores)), -scores))
        return self._diverse(order[scores[order] > 0], scores, k)

    def _dense(self, query: str, k: int) -> list[Hit]:
        depth = len(self.chunks) if self.per_rule else k
        ids, scores = self.index.search(self.embedder.embed([query])[0], depth)  # (1, depth)
        full = np.zeros(len(self.chunks), dtype=np.float64)
        full[ids[0]] = scores[0]
        return self._diverse(ids[0], full, k)

    def _structured(self, query: str, k: int) -> list[Hit]:
        found = facets(query)
        if found.empty:
            return []
        order, matched = self.structured.order(found, self._bm25_scores(query))
        return self._diverse(order, matched, k)

    def _single(self, query: str, k: int, mode: Single) -> list[Hit]:
        if mode == "bm25":
            return self._bm25(query, k)
        if mode == "dense":
            return self._dense(query, k)
        return self._structured(query, k)

    def search(self, query: str, k: int = 5, mode: Mode = "hybrid") -> list[Hit]:
        """The top-k chunks (k different rules unless per_rule is off), best first; `score` is BM25, cosine, the
        number of facets matched or the RRF sum depending on the mode. Hybrid fuses the lists named by `fuse`."""
        if k < 1:
            raise LynxError(f"k must be at least 1, got {k}")
        if mode in ("bm25", "dense", "structured"):
            return self._single(query, k, mode)
        if mode != "hybrid":
            raise LynxError(f"unknown retrieval mode {mode!r}; use one of {', '.join(MODES)}")
        depth = max(k, self.pool)
        lists = [self._single(query, depth, m) for m in self.fuse]
        keyed = [[(h.rule_id if self.per_rule else h.chunk_id, h) for h in hits] for hits in lists]
        shown: dict[str, tuple[int, Chunk]] = {}  # key -> (best rank in any list, its chunk)
        for pairs in keyed:
            for rank, (name, h) in enumerate(pairs):
                if name not in shown or rank < shown[name][0]:
                    shown[name] = (rank, h.chunk)
        fused = rrf([[name for name, _ in pairs] for pairs in keyed], k=self.rrf_k)[:k]
        return [Hit(shown[name][1], score) for name, score in fused]

    def save(self, directory: Path, extra: dict[str, Any] | None = None) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        weights = directory / "index.safetensors"
        save_file({"vectors": np.ascontiguousarray(self.index.vectors)}, str(weights))
        meta = {
            "format": INDEX_FORMAT,
            "lexical": asdict(self.lexical),
            "rrf_k": self.rrf_k,
            "pool": self.pool,
            "per_rule": self.per_rule,
            "fuse": list(self.fuse),
            "chunks": [asdict(c) for c in self.chunks],
            **(extra or {}),
        }
        return [weights, write_json_atomic(directory / "index.json", meta)]

    @classmethod
    def load(cls, directory: Path, embedder: Embedder) -> Retriever:
        """The saved index; a missing or damaged file is a `LynxError` naming it, never a traceback."""
        meta_path = directory / "index.json"
        if not meta_path.is_file():
            raise LynxError(f"no RAG index at {directory}; build one with `lynx rag index`")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("format") != INDEX_FORMAT:
                raise LynxError(f"{meta_path}: format {meta.get('format')!r} is not {INDEX_FORMAT}")
            chunks = [
                Chunk(**{**c, "verbs": tuple(c["verbs"]), "tenses": tuple(c["tenses"])})
                for c in meta["chunks"]
            ]
            vectors = load_file(str(directory / "index.safetensors"))["vectors"]
            lexical = LexicalConfig(**meta["lexical"])
            rrf_k, pool, per_rule = (
                int(meta["rrf_k"]),
                int(meta["pool"]),
                bool(meta.get("per_rule", True)),
            )
            fuse = tuple(meta.get("fuse", FUSE))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, SafetensorError) as exc:
            raise LynxError(
                f"{directory}: cannot read the RAG index ({exc}); rebuild it with `lynx rag index`"
            ) from None
        retriever = cls(
            chunks,
            embedder,
            vectors,
            lexical=lexical,
            rrf_k=rrf_k,
            pool=pool,
            per_rule=per_rule,
            fuse=fuse,
        )
        retriever.meta = meta
        return retriever


__all__ = [
    "FUSE",
    "INDEX_FORMAT",
    "MODES",
    "POOL",
    "Hit",
    "LexicalConfig",
    "Mode",
    "Retriever",
    "Single",
]
