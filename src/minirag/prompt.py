"""The reader's prompt and its citations: every rule enters the prompt tagged `[chunk_id]`, and a citation is
any `[chunk_id]`-shaped token in the answer. A citation is *hallucinated* when it names a chunk that was not
in the prompt; the pipeline treats that as a hard failure, whatever the reader is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from minirag.retriever import Hit

CITATION_RE = re.compile(r"\[([a-z0-9][a-z0-9-]*\.[a-z]{2}#\d+)\]")
DONT_KNOW = "I don't know from the provided rules."

TEMPLATE = """You are a bilingual grammar tutor. Answer the student's question using only the rules below.
Cite each rule you use by its id in square brackets, exactly as shown, like [{example}].
Never invent an id. If the rules do not contain the answer, say: "{dont_know}"

Rules:
{rules}

Question: {query}
Answer:"""


def format_rules(hits: Sequence[Hit]) -> str:
    return "\n\n".join(f"[{h.chunk_id}] {h.chunk.title}\n  {h.chunk.text}" for h in hits)


def build_prompt(query: str, hits: Sequence[Hit]) -> str:
    """The frozen template with the retrieved rules; with none, the rules section says so, which leaves the
    reader nothing to cite and the "I don't know" answer as the honest one."""
    example = hits[0].chunk_id if hits else "rule-id.en#0"
    rules = format_rules(hits) if hits else "(no rules were retrieved)"
    return TEMPLATE.format(example=example, dont_know=DONT_KNOW, rules=rules, query=query.strip())


def extract_citations(text: str) -> list[str]:
    """Cited chunk ids in order of first appearance, without repeats."""
    return list(dict.fromkeys(CITATION_RE.findall(text)))


def hallucinated(cited: Sequence[str], retrieved: Sequence[str]) -> list[str]:
    """Cited ids that were not retrieved (must always be empty)."""
    allowed = set(retrieved)
    return [c for c in cited if c not in allowed]


__all__ = [
    "CITATION_RE",
    "DONT_KNOW",
    "TEMPLATE",
    "build_prompt",
    "extract_citations",
    "format_rules",
    "hallucinated",
]
