"""`classify_sentence`: the model under the truth-table mask, as a tool an agent or MCP client can call.

The same proposal the tutor makes (`ModelProposer.propose_among`): the parser picks the verb slot and the
candidates, the model chooses among them, names the error code and writes the Spanish. Out-of-scope input is
a structured refusal with the decline's reason; the model is loaded on the first call, not at import.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Final

from miniagent.tools.base import Tool, ToolError
from miniagent.tutor.model import ModelProposer
from miniagent.tutor.parse import Decline, parse


@functools.cache
def shared_proposer() -> ModelProposer:
    return ModelProposer()


def classify_with(proposer: ModelProposer, sentence: str) -> Mapping[str, Any]:
    """`proposer`'s masked proposal for `sentence`, with the candidates it chose among."""
    reading = parse(sentence)
    if isinstance(reading, Decline):
        raise ToolError(
            "out_of_scope", f"out of scope ({reading.reason}): {reading.word or sentence!r}"
        )
    candidates = reading.candidates()
    proposal = proposer.propose_among(reading.sentence, candidates)
    if proposal is None:
        raise ToolError("too_long", "the model's answer did not fit its token budget")
    return {
        "correction": proposal.correction,
        "error_code": proposal.error_code,
        "spanish": proposal.spanish,
        "candidates": list(candidates),
        "verb": reading.verb,
        "person": reading.person,
    }


def classify_sentence(sentence: str) -> Mapping[str, Any]:
    """The shipped model's masked proposal for `sentence` (the served tool)."""
    return classify_with(shared_proposer(), sentence)


def classify_tool(proposer: Callable[[], ModelProposer] = shared_proposer) -> Tool:
    """The tool, bound to `proposer` (a tutor built around another model gets a tool that asks that model)."""
    return Tool(
        CLASSIFY_SENTENCE.name,
        CLASSIFY_SENTENCE.description,
        CLASSIFY_SENTENCE.input_schema,
        lambda sentence: classify_with(proposer(), sentence),
        CLASSIFY_SENTENCE.output_schema,
    )


CLASSIFY_SENTENCE: Final = Tool(
    "classify_sentence",
    "The grammar model's correction, error code and Spanish for a sentence, its correction restricted to "
    "truth-table forms of the sentence's verb (a proposal: verify it with the other tools).",
    {
        "type": "object",
        "properties": {"sentence": {"type": "string", "minLength": 1, "maxLength": 280}},
        "required": ["sentence"],
        "additionalProperties": False,
    },
    classify_sentence,
    {
        "type": "object",
        "properties": {
            "correction": {"type": "string"},
            "error_code": {"type": "string"},
            "spanish": {"type": ["string", "null"]},
            "candidates": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["correction", "error_code", "candidates"],
    },
)

__all__ = [
    "CLASSIFY_SENTENCE",
    "classify_sentence",
    "classify_tool",
    "classify_with",
    "shared_proposer",
]
