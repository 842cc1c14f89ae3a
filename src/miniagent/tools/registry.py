"""The tools every caller gets by default, in the order `tools/list` shows them."""

from __future__ import annotations

from miniagent.tools.base import Registry
from miniagent.tools.grammar import TRUTH_TABLE_TOOLS
from miniagent.tools.rules import LOOKUP_RULE


def default_registry() -> Registry:
    """The four truth-table tools, the retriever, then the model under its mask: a fresh `Registry` per call
    (callers may add). The model's tool is imported here, not at module level: the tutor package imports
    this module, and `classify_sentence` lives with the tutor's parser and model."""
    from miniagent.tutor.classify import CLASSIFY_SENTENCE

    return Registry((*TRUTH_TABLE_TOOLS, LOOKUP_RULE, CLASSIFY_SENTENCE))


__all__ = ["default_registry"]
