"""The phase 01-06 quizzes load under the course schema and every answer key grades as correct."""

from __future__ import annotations

from pathlib import Path

import pytest

from lynx_cortex.phases import get_phase
from lynx_cortex.quiz import is_correct, load_quiz

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("phase", range(1, 7))
def test_quiz_loads_and_its_keys_grade_correct(phase: int) -> None:
    slug = get_phase(phase).slug
    quiz = load_quiz(ROOT / "data" / "quizzes" / f"phase-{phase:02d}-{slug}.yaml")
    assert len(quiz.items) >= 5
    for item in quiz.items:
        if item.type == "single":
            assert is_correct(item, item.answer_indices[0])
        elif item.type == "multi":
            assert is_correct(item, list(reversed(item.answer_indices)))
            assert not is_correct(
                item, item.answer_indices[:1] if len(item.answer_indices) > 1 else []
            )
        else:
            reply = " and ".join(k.split("|")[0] for k in item.answer_texts)
            assert is_correct(item, reply if item.type == "contains" else item.answer_texts[0])
            assert not is_correct(item, "no idea")
