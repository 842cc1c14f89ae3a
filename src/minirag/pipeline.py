"""Retrieve → prompt → read → cite: the whole RAG pipeline behind `lynx rag ask`.

`closed_book=True` skips retrieval (phase 29's break): the reader then gets no rules, so it can cite nothing
and falls back to what it knows without the KB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lynx_cortex.errors import LynxError
from minirag.prompt import build_prompt, extract_citations, hallucinated
from minirag.reader import Answer, ExtractiveReader
from minirag.retriever import Hit, Mode, Retriever


@dataclass(frozen=True)
class Result:
    query: str
    hits: tuple[Hit, ...]
    prompt: str
    answer: Answer

    @property
    def cited(self) -> list[str]:
        return extract_citations(self.answer.text)

    def as_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "retrieved": [{"chunk_id": h.chunk_id, "score": round(h.score, 6)} for h in self.hits],
            "answer": self.answer.text,
            "cited_chunks": self.cited,
        }


class RAGPipeline:
    def __init__(self, retriever: Retriever, reader: ExtractiveReader | None = None) -> None:
        self.retriever = retriever
        self.reader = reader or ExtractiveReader()

    def ask(
        self, query: str, *, k: int = 5, mode: Mode = "hybrid", closed_book: bool = False
    ) -> Result:
        if not query.strip():
            raise LynxError("the question is empty")
        try:
            query.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise LynxError(f"the question is not valid text ({exc.reason})") from None
        hits = () if closed_book else tuple(self.retriever.search(query, k, mode))
        answer = self.reader.answer(query, hits)
        result = Result(query, hits, build_prompt(query, hits), answer)
        bad = hallucinated(result.cited, [h.chunk_id for h in hits])
        if bad or set(answer.cited) != set(result.cited):
            raise AssertionError(f"reader cited chunks it was not given: {bad or answer.cited}")
        return result


def rag_answer(query: str, retriever: Retriever, k: int = 3) -> str:
    """The one-call form the phase-29 notes use: the answer text with its citations."""
    return RAGPipeline(retriever).ask(query, k=k).answer.text


__all__ = ["RAGPipeline", "Result", "rag_answer"]
