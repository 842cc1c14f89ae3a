"""Phase 12's quiz and docs load, and their facts agree with the code."""

from __future__ import annotations

from lynx_cortex.paths import data_dir, docs_dir
from lynx_cortex.quiz import load_quiz
from minicorpus.mis_conjugate import correct_form_for
from minicorpus.verb_table import VERB_TABLE


def test_quiz_loads_and_matches_the_table() -> None:
    quiz = load_quiz(data_dir() / "quizzes" / "phase-12-corpus-design.yaml")
    assert quiz.phase == 12
    assert len(quiz.items) >= 5
    item = next(i for i in quiz.items if i.id == "q-12-05")
    expected = correct_form_for(
        "bare_participle_missing_aux", VERB_TABLE["go"], "past_participle", "3sg"
    )
    assert item.answer_texts == [expected]


def test_phase_readme_has_spanish_summaries() -> None:
    text = (docs_dir() / "phase-12-corpus-design" / "README.md").read_text(encoding="utf-8")
    sections = text.count("\n## ")
    assert sections >= 5
    assert text.count("> 🇪🇸") >= sections + 1  # the intro and every section
    for command in ("lynx corpus build", "lynx lab run 12-corpus-stats", "lynx break run 12"):
        assert command in text
