"""`GrammarTutor.correct(sentence) -> Correction`: the model proposes, the truth table disposes.

Pipeline (DESIGN §9): normalise → scope (`parse`) → the model proposes → the table verifies through the tools
→ the retriever cites the rule → EN/ES explanation. The table's correction is the only one ever returned: the
model's is accepted when it is the same text with the same error code (`decided_by: model`) and overruled
otherwise (`decided_by: table`). Out-of-scope input never reaches a correction. Every tool call is made
through the registry, as an agent or MCP client would, and recorded in the trace.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from opentelemetry import trace as otel_trace

from miniagent.tools.base import Registry
from miniagent.tools.forms import correct_group
from miniagent.tools.registry import default_registry
from miniagent.tutor.classify import shared_proposer
from miniagent.tutor.explain import decline, explain, tense_facts
from miniagent.tutor.model import ModelProposer, Proposal
from miniagent.tutor.parse import Decline, Parse, normalise, parse
from miniagent.tutor.spanish import frame_translation, has_table_verb, invents

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


#: The OTel API: a no-op until an application configures an SDK (miniobserve.setup_tracing); phase 34.
_tracer = otel_trace.get_tracer("miniagent.tutor")


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


class GrammarTutor:
    def __init__(
        self, registry: Registry | None = None, proposer: ModelProposer | None = None
    ) -> None:
        self.registry = registry or default_registry()
        self.proposer = proposer or shared_proposer()

    @_tracer.start_as_current_span("tutor.tool")
    def _tool(self, trace: list[dict[str, Any]], name: str, **arguments: Any) -> Mapping[str, Any]:
        _span_named(f"tool.{name}")
        result = self.registry.call(name, arguments)
        trace.append({"step": "tool", "tool": name, "arguments": arguments, **result.to_json()})
        if not result.ok:
            raise VerificationError(f"{name}({arguments}) refused: {result.error}")
        return result.value

    @_tracer.start_as_current_span("tutor.correct")
    def correct(self, sentence: str, request_id: str | None = None) -> Correction:
        started = time.perf_counter()
        rid = request_id or uuid.uuid4().hex
        trace: list[dict[str, Any]] = []
        with _tracer.start_as_current_span("tutor.parse"):
            reading = parse(sentence)
        trace.append({"step": "parse", "result": _describe(reading)})
        if isinstance(reading, Decline):
            body = _declined(reading)
        else:
            body = self._in_scope(reading, trace)
        return Correction(
            request_id=rid,
            original=sentence,
            model_sha=self.proposer.sha,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            trace=trace,
            **body,
        )

    def _in_scope(self, reading: Parse, trace: list[dict[str, Any]]) -> dict[str, Any]:
        group = self._verify(reading, trace)
        with _tracer.start_as_current_span("tutor.decode"):
            masked = self.proposer.propose_among(reading.sentence, reading.candidates())
            proposal = masked or self.proposer.propose([reading.sentence])[0]
        agreed = proposal.correction == reading.correction and (proposal.error_code or "none") == (
            reading.error_type or "none"
        )
        trace.append(
            {
                "step": "model",
                "proposal": asdict(proposal),
                "masked": masked is not None,
                "decided_by": "model" if agreed else "table",
            }
        )
        spanish = self._spanish(reading, proposal if agreed else None, trace)
        cited, rules = self._cite(reading, trace)
        facts = self._facts(reading, group, trace)
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

    @_tracer.start_as_current_span("tutor.verify")
    def _verify(self, reading: Parse, trace: list[dict[str, Any]]) -> str:
        """Ask the table, through the tools, for the cell's form and for the subject's agreement with it."""
        group = correct_group(reading.verb, reading.tense, reading.person)
        cell = self._tool(
            trace, "conjugate", verb=reading.verb, tense=reading.tense, person=reading.person
        )
        check = self._tool(
            trace, "check_subject_verb_agreement", subject=reading.subject, verb_form=group
        )
        table_ok = (
            check["agrees"]
            and check["expected_form"] == group
            and (reading.tense == "past_participle" or str(cell["english"]).endswith(group))
        )
        if not table_ok:
            raise VerificationError(f"the table does not confirm {group!r} for {reading.subject!r}")
        return group

    @_tracer.start_as_current_span("tutor.spanish")
    def _spanish(
        self, reading: Parse, accepted: Proposal | None, trace: list[dict[str, Any]]
    ) -> str:
        """The corpus's exact Spanish for a frame sentence, else the model's (of the sentence when it agreed
        with the table, else of the corrected sentence), else the table's Spanish of the verb group."""
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
        base = {"1sg": "I", "2sg": "you", "3sg": "he"}[reading.person]
        group = correct_group(reading.verb, reading.tense, reading.person)
        found = self._tool(trace, "lookup_spanish", english_form=f"{base} {group}")
        clause = str(found["matches"][0]["spanish"])
        if reading.person == "3sg" and clause.startswith("él "):
            # `él` only for `he`; Spanish drops the pronoun, so a noun subject keeps just the verb
            who = {"he": "él ", "she": "ella "}.get(reading.subject.lower(), "")
            clause = who + clause[3:]
        trace.append({"step": "spanish", "source": "table_clause"})
        return clause

    @staticmethod
    def _plausible(reading: Parse, spanish: str | None, trace: list[dict[str, Any]]) -> bool:
        """The model's Spanish if it holds the table's Spanish verb for the cell and names nothing the
        sentence does not (`invents`)."""
        if not spanish:
            return False
        if not has_table_verb(spanish, reading.verb, reading.tense, reading.person):
            trace.append({"step": "spanish_rejected", "spanish": spanish, "why": "no table verb"})
            return False
        invented = invents(reading.correction, spanish)
        if invented is not None:
            trace.append({"step": "spanish_rejected", "spanish": spanish, "invents": invented})
        return invented is None

    @_tracer.start_as_current_span("tutor.retrieve")
    def _cite(
        self, reading: Parse, trace: list[dict[str, Any]]
    ) -> tuple[list[str], dict[str, str]]:
        """One chunk per language from what `lookup_rule` returned: the error's rule when retrieved."""
        code = reading.error_type
        wanted = rules_wanted(code, reading.tense, reading.verb)
        # the learner's own words first (the structured retriever reads the error off the wrong phrase),
        # then the code's words for BM25
        query = (
            f"{reading.subject} {reading.written} → {reading.expected}: {code.replace('_', ' ')}"
            if code
            else f"{reading.tense.replace('_', ' ')} {reading.verb} {reading.expected}"
        )
        cited: dict[str, str] = {}
        for lang in ("en", "es"):
            hits = self._tool(trace, "lookup_rule", query=query, k=5, lang=lang)["hits"]
            ranked = sorted(
                hits,
                key=lambda h: wanted.index(h["rule_id"]) if h["rule_id"] in wanted else len(wanted),
            )
            if ranked:
                cited[lang] = str(ranked[0]["chunk_id"])
        return list(cited.values()), cited

    @_tracer.start_as_current_span("tutor.explain")
    def _facts(self, reading: Parse, group: str, trace: list[dict[str, Any]]) -> dict[str, str]:
        parts = self._tool(trace, "lookup_irregular_verb", verb=reading.verb)
        return {
            "subject": reading.subject,
            "verb": reading.verb,
            "written": reading.written,
            "expected": reading.expected,
            "past": str(parts["past_simple"]),
            "participle": str(parts["past_participle"]),
            **tense_facts(reading.tense, reading.person),
        }


def _span_named(name: str) -> None:
    """Rename the current span (one decorator serves every tool; the trace names the tool)."""
    otel_trace.get_current_span().update_name(name)


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


__all__ = ["FIELDS", "Correction", "GrammarTutor", "VerificationError", "normalise", "rules_wanted"]
