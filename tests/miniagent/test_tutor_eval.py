"""`lynx eval --task tutor` and the ablation: each variant is a slice of the real pipeline, the full tutor's row
is `evaluate()`'s figure, and a lying model shows up as contradictions in the model's rows, never the tutor's."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lynx_cortex.cli import cli
from miniagent.tutor.ablation import (
    VARIANTS,
    ablate,
    as_answer,
    cites_the_rule,
    masked_answer,
)
from miniagent.tutor.evaluate import Row, evaluate, frame_rows, learner_rows, run_tutor
from miniagent.tutor.model import ModelProposer, Proposal
from miniagent.tutor.tutor import GrammarTutor

from .test_tutor import LyingProposer


@pytest.fixture(scope="module")
def tutor() -> GrammarTutor:
    return GrammarTutor()


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    """A handful of learner rows (one out of scope at least) and frames."""
    learners = learner_rows("test")
    declined = [r for r in learners if not r["in_scope"]][:2]
    return [*learners[:6], *declined, *frame_rows(4)]


def test_cli_prints_the_tables_and_writes_the_report(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "eval",
            "artifacts/checkpoints/grammar",
            "--task",
            "tutor",
            "--limit",
            "3",
            "--out",
            str(tmp_path),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    for name in ("learners-dev", "learners-test", "frames-test", *VARIANTS):
        assert name in result.output
    saved = json.loads((tmp_path / "tutor.json").read_text(encoding="utf-8"))
    assert saved["passed"] is True
    assert [s["set"] for s in saved["sets"]] == ["learners-dev", "learners-test", "frames-test"]
    assert all(s["end_to_end"]["n"] == 3 for s in saved["sets"])
    assert "Ablation — frames-test" in (tmp_path / "TUTOR.md").read_text(encoding="utf-8")
    headline = json.loads(result.output.strip().splitlines()[-1])
    assert headline["passed"] is True and set(headline["sets"]) == {s["set"] for s in saved["sets"]}


def test_a_contradiction_fails_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hard zero decides the exit status: make the re-reading judge every correction wrong."""
    monkeypatch.setattr("miniagent.tutor.evaluate.contradicts_table", lambda got: True)
    argv = ["eval", "artifacts/checkpoints/grammar", "--task", "tutor", "--limit", "2"]
    result = CliRunner().invoke(cli, [*argv, "--out", str(tmp_path)])
    assert result.exit_code == 1
    saved = json.loads((tmp_path / "tutor.json").read_text(encoding="utf-8"))
    assert saved["passed"] is False and saved["sets"][0]["contradictions"] > 0
    assert "FAILED" in (tmp_path / "TUTOR.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "argv",
    [
        ["eval", "artifacts/checkpoints", "--task", "tutor"],  # exists, but not the tutor's model
        ["eval", "no/such/checkpoint", "--task", "tutor"],
        ["eval", "artifacts/checkpoints/grammar", "--task", "tutor", "--split", "keys"],
    ],
)
def test_a_bad_checkpoint_is_one_line(argv: list[str]) -> None:
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lynx: error: ")


def test_the_ablation_rows_are_ordered_and_the_full_tutor_is_evaluate(
    tutor: GrammarTutor, rows: list[Row]
) -> None:
    table = ablate(rows, run_tutor(tutor, rows), tutor.proposer)
    assert [a["variant"] for a in table] == list(VARIANTS)
    figures = evaluate(tutor, rows)
    assert table[-1]["end_to_end"] == figures["end_to_end"]
    assert table[-1]["contradictions"] == figures["contradictions"] == 0
    assert table[-2]["end_to_end"] == figures["end_to_end"]  # citations ignored: same decisions
    # the raw model never declines, so it misses every out-of-scope row the tutor gets
    assert table[0]["end_to_end"]["correct"] <= len([r for r in rows if r["in_scope"]])


def test_a_lying_model_is_caught_only_in_the_model_rows(rows: list[Row]) -> None:
    liar = GrammarTutor(proposer=LyingProposer())
    table = {a["variant"]: a for a in ablate(rows, run_tutor(liar, rows), liar.proposer)}
    in_scope = [r for r in rows if r["in_scope"]]
    # "goed" is never table-correct: every answer the model gives contradicts the table
    assert table["model only"]["contradictions"] == len(rows)
    assert table["+ mask"]["contradictions"] == len(in_scope)
    assert table["model only"]["end_to_end"]["correct"] == 0
    assert table["+ truth-table verification"]["contradictions"] == 0
    assert table["+ RAG"]["end_to_end"] == evaluate(liar, rows)["end_to_end"]


def test_answers_are_the_proposals(tutor: GrammarTutor) -> None:
    got = tutor.correct("Yesterday she goed to the market.")
    wrong = as_answer(got, Proposal("Yesterday she go to the market.", "none", None))
    assert (wrong.in_scope, wrong.was_correct, wrong.error_type, wrong.cited_chunks) == (
        True,
        True,
        None,
        [],
    )
    masked = masked_answer(got)
    proposal = next(s["proposal"] for s in got.trace if s["step"] == "model")
    assert masked.correction == proposal["correction"]
    outside = next(r["sentence"] for r in learner_rows("test") if not r["in_scope"])
    declined = tutor.correct(outside)
    assert not declined.in_scope and masked_answer(declined) is declined
    assert cites_the_rule(declined)


def test_rag_rejects_an_unretrieved_or_off_topic_citation(tutor: GrammarTutor) -> None:
    got = tutor.correct("Yesterday she goed to the market.")
    assert cites_the_rule(got) and cites_the_rule(got, own=True)
    assert not cites_the_rule(dataclasses.replace(got, cited_chunks=["no-such-rule.en#0"]))
    hits = [
        h["chunk_id"]
        for s in got.trace
        if s.get("tool") == "lookup_rule"
        for h in s["result"]["hits"]
    ]
    off_topic = [
        c
        for c in hits
        if c not in got.cited_chunks
        and not c.startswith(("error-overregularization", "irregular-go."))
    ]
    assert off_topic, "the retriever returned more than the cited rules"
    assert not cites_the_rule(dataclasses.replace(got, cited_chunks=off_topic[:1]))


def test_model_only_is_what_the_proposer_says(tutor: GrammarTutor, rows: list[Row]) -> None:
    class Echo(ModelProposer):
        """Proposes each sentence back unchanged, as correct."""

        def propose(self, sentences: list[str]) -> list[Proposal]:
            return [Proposal(s, "none", None) for s in sentences]

    answers = run_tutor(tutor, rows)
    table = ablate(rows, answers, Echo())
    echoed_right = sum(r["in_scope"] and r["was_correct"] for r in rows)
    assert table[0]["end_to_end"]["correct"] == echoed_right
