from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from lynx_cortex.paths import data_dir
from lynx_cortex.phases import PHASES
from lynx_cortex.quiz import (
    QuizError,
    QuizItem,
    QuizScore,
    is_correct,
    load_quiz,
    load_quizzes,
    normalize,
    parse_response,
)

GOOD: dict[str, Any] = {
    "phase": 7,
    "slug": "scalar-autograd",
    "title": {"en": "Scalar autograd", "es": "Autograd escalar"},
    "items": [
        {
            "id": "q-07-01",
            "type": "single",
            "prompt": {"en": "Pick b", "es": "Elige b"},
            "choices": ["a", "b", "c"],
            "answer": 1,
            "explanation": {"en": "b it is", "es": "es b"},
        },
        {
            "id": "q-07-02",
            "type": "multi",
            "prompt": {"en": "Pick a and c", "es": "Elige a y c"},
            "choices": ["a", {"en": "b", "es": "be"}, "c"],
            "answer": [0, 2],
            "explanation": {"en": "x", "es": "x"},
        },
        {
            "id": "q-07-03",
            "type": "short",
            "prompt": {"en": "Past of go?", "es": "¿Pasado de go?"},
            "answer": ["went"],
            "explanation": {"en": "x", "es": "x"},
        },
        {
            "id": "q-07-04",
            "type": "contains",
            "prompt": {"en": "Name two things", "es": "Nombra dos cosas"},
            "answer": ["seed", "sha|commit"],
            "explanation": {"en": "x", "es": "x"},
        },
        {
            "id": "q-07-05",
            "type": "conjugation",
            "prompt": {"en": "he (go, past_simple)", "es": "él (go, past_simple)"},
            "answer": ["went"],
            "explanation": {"en": "x", "es": "x"},
        },
    ],
}


def write(tmp_path: Path, data: Any, name: str = "phase-07-scalar-autograd.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def broken(path_in_items: int, **fields: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    data["items"][path_in_items].update(fields)
    return data


def test_good_quiz_loads(tmp_path: Path) -> None:
    quiz = load_quiz(write(tmp_path, GOOD))
    assert [i.type for i in quiz.items] == ["single", "multi", "short", "contains", "conjugation"]
    assert quiz.items[1].choice_text(1, "es") == "be"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (broken(0, answer=3), "item q-07-01 (#1): answer index 3 is out of range for 3 choices"),
        (broken(1, answer=[0, 0]), "item q-07-02 (#2): a multi item's answer repeats an index"),
        (broken(2, choices=["x", "y"]), "item q-07-03 (#3): a short item takes no choices"),
        (broken(3, answer=[]), "item q-07-04 (#4): a contains item's answer is a non-empty list"),
        (broken(0, type="essay"), "item q-07-01 (#1): type"),
        (broken(4, id="q-7-5"), "item q-7-5 (#5): id: String should match pattern"),
        (broken(2, id="q-07-01"), "item id q-07-01 appears twice"),
        (broken(1, prompt={"en": "only english"}), "item q-07-02 (#2): prompt.es"),
        (broken(0, surprise=True), "item q-07-01 (#1): surprise"),
        ({**GOOD, "items": GOOD["items"][:4]}, "at least 5 items"),
        ({**GOOD, "phase": 8}, "must start with q-08-"),
    ],
)
def test_malformed_quiz_names_file_and_item(
    tmp_path: Path, data: dict[str, Any], message: str
) -> None:
    path = write(tmp_path, data)
    with pytest.raises(QuizError) as err:
        load_quiz(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "phase-07-scalar-autograd.yaml"
    path.write_text("phase: 7\nitems: [\n  - broken: {\n", encoding="utf-8")
    with pytest.raises(QuizError, match=r"invalid YAML at line \d+, column \d+"):
        load_quiz(path)


def test_file_name_must_match_content(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD, name="phase-08-tensor-autograd.yaml")
    with pytest.raises(QuizError, match="file name says phase 08"):
        load_quiz(path)


def test_slug_must_match_course(tmp_path: Path) -> None:
    data = {**GOOD, "slug": "scalar-stuff"}
    with pytest.raises(QuizError, match="phase 07's slug is 'scalar-autograd'"):
        load_quiz(write(tmp_path, data, name="phase-07-scalar-stuff.yaml"))


def test_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(QuizError, match="must be a YAML mapping"):
        load_quiz(write(tmp_path, ["a", "b"]))


def test_every_shipped_quiz_is_valid() -> None:
    quizzes = load_quizzes(data_dir() / "quizzes")
    assert 0 in quizzes
    slugs = {p.number: p.slug for p in PHASES}
    for number, quiz in quizzes.items():
        assert quiz.slug == slugs[number]
        assert len(quiz.items) >= 5


def item(index: int) -> QuizItem:
    return QuizItem.model_validate(GOOD["items"][index])


def test_grading() -> None:
    assert is_correct(item(0), 1) and not is_correct(item(0), 0)
    assert is_correct(item(1), [2, 0]) and not is_correct(item(1), [0])
    assert is_correct(item(2), "  Went. ") and not is_correct(item(2), "goed")
    assert is_correct(item(3), "the seed and the commit") and is_correct(item(3), "SHA, seed")
    assert not is_correct(item(3), "only the seed")
    assert is_correct(item(4), "went")


def test_parse_response_is_one_based_and_helpful() -> None:
    assert parse_response(item(0), "2") == 1
    assert parse_response(item(1), "3, 1") == [0, 2]
    with pytest.raises(ValueError, match="from 1 to 3"):
        parse_response(item(0), "4")
    with pytest.raises(ValueError, match="exactly one"):
        parse_response(item(0), "1,2")
    with pytest.raises(ValueError, match="choice numbers"):
        parse_response(item(1), "a")
    with pytest.raises(ValueError, match="type an answer"):
        parse_response(item(2), "  ")


@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)


def test_pass_mark() -> None:
    assert QuizScore(7, 10).passed and not QuizScore(6, 10).passed
    assert QuizScore(0, 0).fraction == 0.0
