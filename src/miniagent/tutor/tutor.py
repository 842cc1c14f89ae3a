"""`GrammarTutor.correct(sentence) -> Correction`: the model proposes, the truth table disposes.

Pipeline (DESIGN §9): normalise → scope (`parse`) → an agent run gathers the facts (the table's form and
agreement, the model's proposal, the rules, the Spanish: `miniagent.agent`, `RulePlanner` by default) → the
table verifies → the retrieved rule is cited → EN/ES explanation. The table's correction is the only one ever returned: the
model's is accepted when it is the same text with the same error code (`decided_by: model`) and overruled
otherwise (`decided_by: table`). Out-of-scope input never reaches a correction. Every tool call is made
by the agent loop through a dispatcher (the registry in process, or an MCP server) and recorded in the trace.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from opentelemetry import trace as otel_trace

from miniagent.agent.dispatch import Dispatcher, RegistryDispatcher
from miniagent.agent.loop import Planner, run_agent
from miniagent.agent.memory import Scratchpad
from miniagent.agent.planner import RulePlanner, TutorGoal, rule_plan
from miniagent.agent.types import Observation, ToolCall, canonical
from miniagent.tools.base import Registry
from miniagent.tools.forms import correct_group
from miniagent.tools.registry import default_registry
from miniagent.tutor.classify import classify_tool, shared_proposer
from miniagent.tutor.explain import decline, explain, tense_facts
from miniagent.tutor.model import ModelProposer, Proposal
from miniagent.tutor.parse import Decline, Parse, normalise, parse
from miniagent.tutor.spanish import (
    frame_translation,
    has_table_verb,
    invents,
    partial_translation,
    unknown_words,
)

#: Spans for phase 34 (`tutor.correct` › parse, plan › `tool.*`, verify, spanish, explain); without an
#: OpenTelemetry SDK configured these calls do nothing.
_tracer = otel_trace.get_tracer("miniagent.tutor")

FIELDS: Final = (
    "request_id",
    "original",
    "in_scope",
    "was_correct",
    "correction",
    "verb",
    "tense",
    "person",
    "error_type",
    "explanation",
    "spanish_translation",
    "cited_chunks",
    "model_sha",
    "duration_ms",
)
_TENSE_RULES: Final = {
    "present_simple": "present-simple",
    "past_simple": "past-simple",
    "past_participle": "present-perfect",
    "future_will": "future-will",
    "future_going_to": "future-going-to",
}


#: After the error's own rule, the rule that teaches the form it gets wrong (then the verb's, for irregulars).
_TOPIC_RULES: Final = {
    "missing_third_person_s": ("third-person-s", "third-person-es", "third-person-ies"),
    "subject_verb_disagreement": ("third-person-s", "have-has"),
    "overregularization_past": (),
    "wrong_aux_will_with_to": ("will-bare-infinitive",),
    "wrong_aux_going_to_missing_ing": ("going-to-auxiliary",),
    "bare_participle_missing_aux": ("present-perfect",),
}


def rules_wanted(error_type: str | None, tense: str, verb: str) -> list[str]:
    """The KB rules an explanation may rest on, best first: the first is *the* rule (the error's own, or the
    tense's for a correct sentence; the stricter evaluation checks that one), then the rules that teach the
    form in question (the verb's own page, the spelling or auxiliary rule of that tense)."""
    if error_type:
        return [
            f"error-{error_type.replace('_', '-')}",
            *_TOPIC_RULES[error_type],
            f"irregular-{verb}",
        ]
    return [_TENSE_RULES[tense], f"irregular-{verb}", *_FORM_RULES.get(tense, ())]


#: For a correct sentence, after the tense's rule and the verb's page: the rules that spell the form it used.
_FORM_RULES: Final = {
    "present_simple": ("third-person-s", "third-person-es", "third-person-ies", "have-has"),
    "past_simple": ("past-ed", "past-ed-y", "past-ed-e-final", "past-ed-doubling"),
    "past_participle": ("past-participle",),
    "future_will": ("will-bare-infinitive",),
    "future_going_to": ("going-to-auxiliary",),
}


class VerificationError(AssertionError):
    """The tools contradicted the parse: a bug, never shown to a learner as a correction."""


@dataclass(frozen=True)
class Correction:
    request_id: str
    original: str
    in_scope: bool
    was_correct: bool | None
    correction: str | None
    verb: str | None
    tense: str | None
    person: str | None
    error_type: str | None
    explanation: dict[str, str]
    spanish_translation: str | None
    cited_chunks: list[str]
    model_sha: str
    duration_ms: float
    trace: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self, *, trace: bool = False) -> dict[str, Any]:
        """DESIGN §9's object (in its field order), plus the trace when asked."""
        data = asdict(self)
        out = {name: data[name] for name in FIELDS}
        if trace:
            out["trace"] = data["trace"]
        return out


class MissingFactError(LookupError):
    """The planner answered (or was stopped) before making a call the answer rests on."""


class GrammarTutor:
    """The tutor: an agent run (`planner` deciding, `dispatcher` acting) and the composition of its answer.

    The planner only gathers facts; the answer is composed here from the scratchpad, and only from
    observations of the calls the table's plan requires (`rule_plan`), so a planner that asks the wrong
    questions gets an honest "could not decide", never a correction the tools did not confirm.
    """

    def __init__(
        self,
        registry: Registry | None = None,
        proposer: ModelProposer | None = None,
        *,
        planner: Planner[TutorGoal] | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        self.proposer = proposer or shared_proposer()
        self.registry = registry or default_registry()
        if proposer is not None:  # the model tool must ask *this* model
            bound = self.proposer
            self.registry = Registry(
                [
                    *(t for t in self.registry if t.name != "classify_sentence"),
                    classify_tool(lambda: bound),
                ]
            )
        self.dispatcher = dispatcher or RegistryDispatcher(self.registry)
        self.planner: Planner[TutorGoal] = planner or RulePlanner()

    @_tracer.start_as_current_span("tutor.correct")
    def correct(self, sentence: str, request_id: str | None = None) -> Correction:
        started = time.perf_counter()
        rid = request_id or uuid.uuid4().hex
        with _tracer.start_as_current_span("tutor.parse"):
            reading = parse(sentence)
        trace: list[dict[str, Any]] = [{"step": "parse", "result": _describe(reading)}]
        with _tracer.start_as_current_span("tutor.plan"):
            run = run_agent(self.planner, self.dispatcher, TutorGoal(sentence, reading))
        trace.extend(run.trace)
        if isinstance(reading, Decline):
            body = _declined(reading)
        else:
            try:
                body = self._in_scope(reading, run.pad, trace)
            except MissingFactError as exc:
                trace.append({"step": "undecided", "missing": str(exc), "stopped": run.stopped})
                body = _undecided(reading, run.stopped)
        return Correction(
            request_id=rid,
            original=sentence,
            model_sha=self.proposer.sha,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            trace=trace,
            **body,
        )

    def _in_scope(
        self, reading: Parse, pad: Scratchpad, trace: list[dict[str, Any]]
    ) -> dict[str, Any]:
        conj, check, classify, rule_en, rule_es, parts, clause = rule_plan(reading)
        self._verify(reading, _fact(pad, conj), _fact(pad, check))
        masked = _observed(pad, classify)
        if masked.ok:
            value = masked.value
            proposal = Proposal(value["correction"], value["error_code"], value["spanish"])
        else:  # the masked answer outgrew its budget: the model's free answer, still only a proposal
            proposal = self.proposer.propose([reading.sentence])[0]
        agreed = proposal.correction == reading.correction and (proposal.error_code or "none") == (
            reading.error_type or "none"
        )
        trace.append(
            {
                "step": "model",
                "proposal": asdict(proposal),
                "masked": masked.ok,
                "decided_by": "model" if agreed else "table",
            }
        )
        with _tracer.start_as_current_span("tutor.spanish"):
            spanish = self._spanish(reading, proposal if agreed else None, pad, clause, trace)
        with _tracer.start_as_current_span("tutor.explain"):
            cited, rules = _cite(reading, [_fact(pad, rule_en), _fact(pad, rule_es)])
            facts = _facts(reading, _fact(pad, parts))
        return {
            "in_scope": True,
            "was_correct": reading.error_type is None,
            "correction": reading.correction,
            "verb": reading.verb,
            "tense": reading.tense,
            "person": reading.person,
            "error_type": reading.error_type,
            "explanation": explain(reading.error_type, facts, rules),
            "spanish_translation": spanish,
            "cited_chunks": cited,
        }

    @staticmethod
    @_tracer.start_as_current_span("tutor.verify")
    def _verify(reading: Parse, cell: Mapping[str, Any], check: Mapping[str, Any]) -> str:
        """The table, through the tools, on the cell's form and the subject's agreement with it."""
        group = correct_group(reading.verb, reading.tense, reading.person)
        table_ok = (
            check["agrees"]
            and check["expected_form"] == group
            and (reading.tense == "past_participle" or str(cell["english"]).endswith(group))
        )
        if not table_ok:
            raise VerificationError(f"the table does not confirm {group!r} for {reading.subject!r}")
        return group

    def _spanish(
        self,
        reading: Parse,
        accepted: Proposal | None,
        pad: Scratchpad,
        clause_call: ToolCall,
        trace: list[dict[str, Any]],
    ) -> str:
        """The corpus's exact Spanish for a frame sentence, else the model's (of the sentence when it agreed
        with the table, else of the corrected sentence) when every word is one it was trained on, else the
        table's Spanish of the verb group: partial, but never noise."""
        exact = frame_translation(
            reading.correction,
            reading.subject,
            reading.verb,
            reading.tense,
            reading.person,
            reading.expected,
        )
        if exact is not None:
            trace.append({"step": "spanish", "source": "frame"})
            return exact
        if unseen := unknown_words(reading.correction, ""):
            # words the model never saw: whatever it writes for them is noise, so do not ask it again
            trace.append({"step": "spanish_model_skipped", "unknown_words": unseen})
        else:
            if accepted is not None and self._plausible(reading, accepted.spanish, trace):
                trace.append({"step": "spanish", "source": "model"})
                return str(accepted.spanish)
            again = self.proposer.propose([reading.correction])[0]
            if (
                again.correction == reading.correction
                and again.error_code == "none"
                and self._plausible(reading, again.spanish, trace)
            ):
                trace.append({"step": "spanish", "source": "model_on_correction"})
                return str(again.spanish)
        clause = str(_fact(pad, clause_call)["matches"][0]["spanish"])
        trace.append({"step": "spanish", "source": "table_clause"})
        return partial_translation(reading.correction, reading.subject, reading.expected, clause)

    @staticmethod
    def _plausible(reading: Parse, spanish: str | None, trace: list[dict[str, Any]]) -> bool:
        """The model's Spanish if it holds the table's Spanish verb for the cell and names nothing the
        sentence does not (`invents`)."""
        if not spanish:
            return False
        if not has_table_verb(spanish, reading.verb, reading.tense, reading.person):
            trace.append({"step": "spanish_rejected", "spanish": spanish, "why": "no table verb"})
            return False
        if unknown := unknown_words(reading.correction, spanish):
            trace.append({"step": "spanish_rejected", "spanish": spanish, "unknown_words": unknown})
            return False
        invented = invents(reading.correction, spanish)
        if invented is not None:
            trace.append({"step": "spanish_rejected", "spanish": spanish, "invents": invented})
        return invented is None


def _observed(pad: Scratchpad, call: ToolCall) -> Observation:
    found = pad.find(call)
    if found is None:
        raise MissingFactError(f"{call.tool}({canonical(call.arguments)}) was never called")
    return found


def _fact(pad: Scratchpad, call: ToolCall) -> Mapping[str, Any]:
    """The value of a call the answer needs; a refusal is a bug (the parse and the table disagree)."""
    found = _observed(pad, call)
    if not found.ok:
        raise VerificationError(f"{call.tool}({dict(call.arguments)}) refused: {found.error}")
    return found.value


def _cite(reading: Parse, results: list[Mapping[str, Any]]) -> tuple[list[str], dict[str, str]]:
    """One chunk per language from what `lookup_rule` returned: the error's rule when retrieved."""
    wanted = rules_wanted(reading.error_type, reading.tense, reading.verb)
    cited: dict[str, str] = {}
    for lang, result in zip(("en", "es"), results, strict=True):
        ranked = sorted(
            result["hits"],
            key=lambda h: wanted.index(h["rule_id"]) if h["rule_id"] in wanted else len(wanted),
        )
        if ranked:
            cited[lang] = str(ranked[0]["chunk_id"])
    return list(cited.values()), cited


def _facts(reading: Parse, parts: Mapping[str, Any]) -> dict[str, str]:
    return {
        "subject": reading.subject,
        "verb": reading.verb,
        "written": reading.written,
        "expected": reading.expected,
        "past": str(parts["past_simple"]),
        "participle": str(parts["past_participle"]),
        **tense_facts(reading.tense, reading.person),
    }


def _undecided(reading: Parse, stopped: str) -> dict[str, Any]:
    """In scope, but the planner stopped before the facts were in: say so, correct nothing."""
    return {
        "in_scope": True,
        "was_correct": None,
        "correction": None,
        "verb": reading.verb,
        "tense": reading.tense,
        "person": reading.person,
        "error_type": None,
        "explanation": {
            "en": f"I could not check this sentence: my planner stopped ({stopped}) before the "
            "truth table had confirmed a form, so I correct nothing rather than guess.",
            "es": f"No he podido comprobar esta frase: mi planificador se detuvo ({stopped}) antes de "
            "que la tabla de verdad confirmara una forma, así que no corrijo nada en lugar de adivinar.",
        },
        "spanish_translation": None,
        "cited_chunks": [],
    }


def _declined(reading: Decline) -> dict[str, Any]:
    return {
        "in_scope": False,
        "was_correct": None,
        "correction": None,
        "verb": None,
        "tense": None,
        "person": None,
        "error_type": None,
        "explanation": decline(reading.reason, reading.word),
        "spanish_translation": None,
        "cited_chunks": [],
    }


def _describe(reading: Parse | Decline) -> dict[str, Any]:
    if isinstance(reading, Decline):
        return {"in_scope": False, "reason": reading.reason, "word": reading.word}
    return {
        "in_scope": True,
        "subject": reading.subject,
        "person": reading.person,
        "verb": reading.verb,
        "tense": reading.tense,
        "written": reading.written,
        "expected": reading.expected,
        "error_type": reading.error_type,
    }


__all__ = [
    "FIELDS",
    "Correction",
    "GrammarTutor",
    "MissingFactError",
    "VerificationError",
    "normalise",
    "rules_wanted",
]
