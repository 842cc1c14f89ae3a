"""The tools every caller gets by default, in the order `tools/list` shows them."""

from __future__ import annotations

from miniagent.tools.base import Registry
from miniagent.tools.grammar import TRUTH_TABLE_TOOLS
from miniagent.tools.rules import LOOKUP_RULE


def default_registry() -> Registry:
    """The four truth-table tools, then the retriever: a fresh `Registry` per call (callers may add)."""
    return Registry((*TRUTH_TABLE_TOOLS, LOOKUP_RULE))


__all__ = ["default_registry"]
