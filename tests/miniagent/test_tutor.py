"""The tutor end to end: DESIGN §9's object, the table's last word, citations, declines and the quality gate."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from lynx_cortex.cli import cli
from miniagent.tools.rules import kb_retriever
from miniagent.tutor.evaluate import (
    contradicts_table,
    evaluate,
    frame_rows,
    hallucinated,
    learner_rows,
)
from miniagent.tutor.model import ModelProposer, Proposal
from miniagent.tutor.tutor import FIELDS, GrammarTutor
from minicorpus.mis_conjugate import MIS_CONJUGATION_TYPES


@pytest.fixture(scope="module")
def tutor() -> GrammarTutor:
    return GrammarTutor()


class LyingProposer(ModelProposer):
    """A model that always proposes the same wrong correction: the table must overrule it."""

    LIE = Proposal("Yesterday she goed to the market.", "none", "Ayer ella fue.")

    def propose(self, sentences: list[str]) -> list[Proposal]:
        return [self.LIE for _ in sentences]

    def propose_among(self, sentence: str, candidates: tuple[str, ...]) -> Proposal | None:
        return self.LIE


def test_the_acceptance_sentence(tutor: GrammarTutor) -> None:
    got = tutor.correct("Yesterday she goed to the market.").to_json()
    assert list(got) == list(FIELDS)
    assert got["in_scope"] is True and got["was_correct"] is False
    assert got["correction"] == "Yesterday she went to the market."
    assert (got["verb"], got["tense"], got["person"]) == ("go", "past_simple", "3sg")
    assert (
        got["error_type"] == "overregularization_past"
        and got["error_type"] in MIS_CONJUGATION_TYPES
    )
    assert "went" in got["explanation"]["en"] and "went" in got["explanation"]["es"]
    assert got["spanish_translation"] == "Ayer ella fue al mercado."
    assert got["cited_chunks"] and all(c in kb_retriever().by_id for c in got["cited_chunks"])
    assert all(
        c in got["explanation"]["en"] + got["explanation"]["es"] for c in got["cited_chunks"]
    )
    assert len(got["model_sha"]) == 64 and got["duration_ms"] > 0


def test_the_table_overrules_a_wrong_model() -> None:
    lying = GrammarTutor(proposer=LyingProposer())
    got = lying.correct("Yesterday she goed to the market.")
    assert got.correction == "Yesterday she went to the market."
    model_steps = [s for s in got.trace if s["step"] == "model"]
    assert model_steps[0]["decided_by"] == "table"
    assert not contradicts_table(got) and not hallucinated(got)


def test_a_model_that_agrees_decides(tutor: GrammarTutor) -> None:
    got = tutor.correct("Yesterday she goed to the market.")
    steps = [s for s in got.trace if s["step"] == "model"]
    assert [(s["decided_by"], s["masked"]) for s in steps] == [("model", True)]


def test_the_mask_only_offers_table_forms(tutor: GrammarTutor) -> None:
    from miniagent.tutor.parse import Parse, parse

    reading = parse("my brother eat pizza every day")
    assert isinstance(reading, Parse)
    assert reading.candidates() == (
        "my brother eats pizza every day",
        "my brother ate pizza every day",
        "my brother has eaten pizza every day",
        "my brother will eat pizza every day",
        "my brother is going to eat pizza every day",
    )
    proposal = tutor.proposer.propose_among(reading.sentence, reading.candidates())
    assert proposal is not None and proposal.correction in reading.candidates()


@pytest.mark.parametrize(
    ("sentence", "says"),
    [
        ("We goed to the beach.", "plural"),
        ("She flied to Paris.", "20 verbs"),
        ("He drinks coffee.", "20 verbs"),
        ("I am eating an apple.", "continuous"),
        ("Ayer ella fue al mercado.", "English"),
        ("qwerty zxcvb", "20 verbs"),
    ],
)
def test_out_of_scope_is_a_polite_decline(tutor: GrammarTutor, sentence: str, says: str) -> None:
    got = tutor.correct(sentence)
    assert (got.in_scope, got.correction, got.was_correct, got.cited_chunks) == (
        False,
        None,
        None,
        [],
    )
    assert says in got.explanation["en"] and got.explanation["es"]


def test_request_id_is_kept_and_trace_is_optional(tutor: GrammarTutor) -> None:
    got = tutor.correct("I like football.", request_id="req-1")
    assert got.request_id == "req-1"
    assert "trace" not in got.to_json() and got.to_json(trace=True)["trace"]


def test_quality_gate_on_the_learner_set(tutor: GrammarTutor) -> None:
    """The issue's thresholds on all 159 hand-written sentences (~5 s: the gate is the point of the test)."""
    for split in ("dev", "test"):
        result = evaluate(tutor, learner_rows(split), split)
        assert result["end_to_end"]["accuracy"] >= 0.97, result["failures"]
        assert result["declines"]["accuracy"] >= 0.95, result["failures"]
        assert result["contradictions"] == 0 and result["hallucinated_citations"] == 0


def test_frames_subset(tutor: GrammarTutor) -> None:
    result = evaluate(tutor, frame_rows(60, stride=43), "frames")
    assert result["end_to_end"]["correct"] == 60, result["failures"]
    assert result["contradictions"] == 0 and result["hallucinated_citations"] == 0


def test_cli_json_and_text() -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["tutor", "--json", "Yesterday she goed to the market."])
    assert out.exit_code == 0, out.output
    data: dict[str, Any] = json.loads(out.output)
    assert data["correction"] == "Yesterday she went to the market." and set(FIELDS) <= set(data)
    text = runner.invoke(cli, ["tutor", "--explain", "--trace", "my brother eat pizza"])
    assert text.exit_code == 0
    assert "correction: my brother eats pizza" in text.output
    assert "error-missing-third-person-s" in text.output and "trace:" in text.output
    declined = runner.invoke(cli, ["tutor", "They works hard."])
    assert declined.exit_code == 0 and "out of scope" in declined.output


def test_the_models_spanish_is_checked_against_the_table() -> None:
    from miniagent.tutor.spanish import has_table_verb, invents

    assert invents("I like it.", "Me gusta la playa.") is not None
    assert invents("I like the beach.", "Me gusta la playa.") is None
    assert has_table_verb("Ayer ella fue al mercado.", "go", "past_simple", "3sg")
    assert has_table_verb("Ella estaba cansada.", "be", "past_simple", "3sg")  # estar, imperfect
    assert not has_table_verb("Ayer.", "go", "past_simple", "3sg")


def test_without_a_trusted_translation_the_table_gives_the_verb_clause() -> None:
    got = GrammarTutor(proposer=LyingProposer()).correct("my brother eat pizza every day")
    assert got.correction == "my brother eats pizza every day"
    # the table's clause, the untranslatable subject and object marked, the known adverb in place; no `él`:
    # Spanish drops the pronoun, and `él` would guess a gender
    assert got.spanish_translation == "… come … todos los días."
    assert [s["source"] for s in got.trace if s["step"] == "spanish"] == ["table_clause"]


@pytest.mark.parametrize(
    ("sentence", "rules"),
    [
        ("my brother eat pizza", {"error-missing-third-person-s", "third-person-s"}),
        ("Yesterday she goed to the market.", {"error-overregularization-past"}),
        ("I will to eat an apple.", {"error-wrong-aux-will-with-to", "will-bare-infinitive"}),
        (
            "He is go to watch a film.",
            {"error-wrong-aux-going-to-missing-ing", "going-to-auxiliary"},
        ),
        ("She eaten the cake.", {"error-bare-participle-missing-aux", "present-perfect"}),
        ("I goes to school.", {"error-subject-verb-disagreement", "third-person-s", "have-has"}),
    ],
)
def test_each_error_cites_its_own_rule_or_the_rule_it_breaks(
    tutor: GrammarTutor, sentence: str, rules: set[str]
) -> None:
    """Not just any retrieved chunk: the explanation must point at the rule the learner broke (a verb's own
    page would be true but beside the point for a missing -s)."""
    got = tutor.correct(sentence)
    assert got.error_type is not None, got
    assert {chunk.split(".")[0] for chunk in got.cited_chunks} <= rules, got.cited_chunks


@pytest.mark.parametrize(
    ("sentence", "rules"),
    [
        ("She wrote a letter.", {"past-simple", "irregular-write"}),
        ("Yesterday he studied.", {"past-simple", "irregular-study", "past-ed-y", "past-ed"}),
        (
            "He is going to watch a film.",
            {"future-going-to", "irregular-watch", "going-to-auxiliary"},
        ),
    ],
)
def test_a_correct_sentence_cites_the_rule_for_the_form_it_used(
    tutor: GrammarTutor, sentence: str, rules: set[str]
) -> None:
    got = tutor.correct(sentence)
    assert got.in_scope and got.was_correct, got
    assert got.cited_chunks and {c.split(".")[0] for c in got.cited_chunks} <= rules, (
        got.cited_chunks
    )
