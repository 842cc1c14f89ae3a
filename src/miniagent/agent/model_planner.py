"""`ModelPlanner`: the shipped grammar model writes each next step as a tool-call JSON, under a mask.

The model was trained on corrections, never on tool calls, so nothing here pretends it plans well. What the
mask (phase 31's `call_grammar` over phase 30's schema → regex → DFA) guarantees is that every step it writes
is a *valid* call: a tool that exists (or `final_answer`), with arguments its schema admits. What the model
contributes is the choice among those legal continuations, greedy, by its own scores.

The arguments are **grounded** in the sentence before the mask is built: free strings become the values the
parse supports (the subject it found, the sentence itself, the rule query, the table's five verb groups for
the subject), and `verb` becomes the 20 verbs. Left free, a string is a 280-character field the model fills
with noise until the token budget runs out; grounded, the model still chooses the tool, the verb, the tense,
the person, the verb form, the number of hits and the language — every choice that makes a plan right or
wrong. The scope decision stays the parser's: an out-of-scope goal is answered at once, as `RulePlanner` does.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from lynx_cortex.errors import LynxError
from miniagent.agent.memory import Scratchpad
from miniagent.agent.planner import TutorGoal, rule_query
from miniagent.agent.types import FINAL, FinalAnswer, ToolCall
from miniagent.mcp.toolcall import call_grammar, call_mask
from miniagent.tools.forms import correct_group
from miniagent.tutor.parse import CANDIDATE_TENSES, Decline, Parse
from minicorpus.verb_table import VERBS
from miniinfer.generate import LanguageModel
from miniinfer.prompting import prompt_ids
from miniinfer.sampling import Greedy
from minimodel.data import load_tokenizer
from minimodel.infer import as_fast
from minimodel.shipped import load_shipped_model
from ministruct.constrained import masked_generate
from ministruct.mask import HasTokenBytes, TokenMask

MAX_CALL_TOKENS: Final = 96
FINAL_DESCRIPTOR: Final = {
    "name": FINAL,
    "inputSchema": {"type": "object", "properties": {}, "additionalProperties": False},
}
_PRONOUN: Final = {"1sg": "I", "2sg": "you", "3sg": "he"}


def _enum(values: Sequence[str]) -> dict[str, Any]:
    return {"type": "string", "enum": sorted(set(values))}


def grounded(schema: Mapping[str, Any], reading: Parse) -> dict[str, Any]:
    """`schema` with each free string argument replaced by the values this sentence supports."""
    groups = [correct_group(reading.verb, t, reading.person) for t in CANDIDATE_TENSES]
    values: dict[str, dict[str, Any]] = {
        "verb": _enum(VERBS),
        "subject": _enum([reading.subject]),
        "verb_form": _enum(groups),
        "english_form": _enum([f"{_PRONOUN[reading.person]} {g}" for g in groups]),
        "sentence": _enum([reading.sentence]),
        "query": _enum([rule_query(reading)]),
    }
    properties = {
        name: values.get(name, dict(prop)) for name, prop in schema.get("properties", {}).items()
    }
    return {**schema, "properties": properties}


def planner_tools(tools: Sequence[Mapping[str, Any]], reading: Parse) -> list[dict[str, Any]]:
    """The dispatcher's tools with grounded arguments, plus `final_answer` (no arguments)."""
    out = [{"name": t["name"], "inputSchema": grounded(t["inputSchema"], reading)} for t in tools]
    return [*out, dict(FINAL_DESCRIPTOR)]


def planner_prompt(goal: TutorGoal, pad: Scratchpad) -> str:
    """The sentence and the tools already called: all the model's 96-token window can hold."""
    done = ",".join(pad.tools_called()) or "nothing"
    return f"{goal.sentence} | done: {done}"


@functools.cache
def _shipped() -> tuple[LanguageModel, HasTokenBytes]:
    return as_fast(load_shipped_model("grammar").model), load_tokenizer()


class ModelPlanner:
    """Greedy, masked, one call per decision; `tools` are the dispatcher's descriptors."""

    def __init__(
        self,
        tools: Sequence[Mapping[str, Any]],
        model: LanguageModel | None = None,
        tokenizer: Any = None,
    ) -> None:
        self.tools = [dict(t) for t in tools]
        if model is None or tokenizer is None:
            model, tokenizer = _shipped()
        self.model = model
        self.tokenizer = tokenizer
        self._masks: dict[str, TokenMask] = {}
        self.last_text = ""  # what the model wrote last (for the trace and the lab)

    def mask_for(self, reading: Parse) -> TokenMask:
        """One mask per sentence (the grounding depends on it), cached: every step of a run reuses it."""
        if reading.sentence not in self._masks:
            grammar = call_grammar(planner_tools(self.tools, reading))
            self._masks[reading.sentence] = call_mask(grammar, self.tokenizer)
        return self._masks[reading.sentence]

    def next_step(self, goal: TutorGoal, pad: Scratchpad) -> ToolCall | FinalAnswer:
        reading = goal.reading
        if isinstance(reading, Decline):
            return FinalAnswer(f"out of scope ({reading.reason}): the parser's decision")
        ids = prompt_ids(self.tokenizer, planner_prompt(goal, pad))
        try:
            out = masked_generate(
                self.model,
                self.mask_for(reading),
                ids,
                strategy=Greedy(),
                seed=0,
                max_new_tokens=MAX_CALL_TOKENS,
            )
        except LynxError as exc:
            self.last_text = ""
            return FinalAnswer(f"the model's call did not fit: {exc}")
        self.last_text = out.text
        call = json.loads(out.text)  # valid JSON by construction
        if call["name"] == FINAL:
            return FinalAnswer("the model chose to answer")
        return ToolCall(call["name"], call["arguments"], "")


__all__ = ["FINAL_DESCRIPTOR", "MAX_CALL_TOKENS", "ModelPlanner", "grounded", "planner_tools"]
