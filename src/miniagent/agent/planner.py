"""The tutor's goal and its deterministic planner.

`RulePlanner` is the plan the tutor has always followed, now written as ReAct decisions: ask the table for
the cell's form, check the subject agrees with it, let the model classify the sentence (under its own
truth-table mask), fetch the rule in English and in Spanish, the verb's principal parts and the Spanish of
the verb group, then answer. Out-of-scope sentences are answered at once, without a tool. Each next call is
the first planned call the scratchpad has not seen, so the plan survives a refused call without looping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from miniagent.agent.memory import Scratchpad
from miniagent.agent.types import FinalAnswer, ToolCall
from miniagent.tools.forms import correct_group
from miniagent.tutor.parse import Decline, Parse

RULE_HITS: Final = 5  # hits asked of `lookup_rule` per language
_PRONOUN: Final = {"1sg": "I", "2sg": "you", "3sg": "he"}


@dataclass(frozen=True)
class TutorGoal:
    sentence: str  # what the learner wrote
    reading: Parse | Decline  # the deterministic parse: the scope decision and the slots


def rule_query(reading: Parse) -> str:
    """The retriever's query: the learner's own words first (the structured retriever reads the error off the
    wrong phrase), then the error code's words for BM25; for a correct sentence, its tense, verb and form."""
    code = reading.error_type
    if code:
        return f"{reading.subject} {reading.written} → {reading.expected}: {code.replace('_', ' ')}"
    return f"{reading.tense.replace('_', ' ')} {reading.verb} {reading.expected}"


def rule_plan(reading: Parse) -> tuple[ToolCall, ...]:
    """Every call the tutor needs for an in-scope reading, in order, each with its reason."""
    group = correct_group(reading.verb, reading.tense, reading.person)
    cell = f"{reading.verb}, {reading.tense}, {reading.person}"
    query = rule_query(reading)
    return (
        ToolCall(
            "conjugate",
            {"verb": reading.verb, "tense": reading.tense, "person": reading.person},
            f"the table's form for {cell}",
        ),
        ToolCall(
            "check_subject_verb_agreement",
            {"subject": reading.subject, "verb_form": group},
            f"does {reading.subject!r} agree with {group!r}?",
        ),
        ToolCall(
            "classify_sentence",
            {"sentence": reading.sentence},
            "the model's proposal, restricted to the table's forms of the verb",
        ),
        *(
            ToolCall(
                "lookup_rule",
                {"query": query, "k": RULE_HITS, "lang": lang},
                f"a rule to cite ({lang})",
            )
            for lang in ("en", "es")
        ),
        ToolCall(
            "lookup_irregular_verb",
            {"verb": reading.verb},
            f"the principal parts of {reading.verb!r} for the explanation",
        ),
        ToolCall(
            "lookup_spanish",
            {"english_form": f"{_PRONOUN[reading.person]} {group}"},
            "the table's Spanish of the verb group, in case no whole translation is trusted",
        ),
    )


class RulePlanner:
    def next_step(self, goal: TutorGoal, pad: Scratchpad) -> ToolCall | FinalAnswer:
        reading = goal.reading
        if isinstance(reading, Decline):
            return FinalAnswer(f"out of scope ({reading.reason}): decline without a tool")
        for call in rule_plan(reading):
            if not pad.seen(call):
                return call
        return FinalAnswer("every fact the answer needs is in the scratchpad")


__all__ = ["RULE_HITS", "RulePlanner", "TutorGoal", "rule_plan", "rule_query"]
