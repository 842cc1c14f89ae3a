"""The tutor's deterministic reading of a sentence: scope, cell, error code and table correction."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from miniagent.tutor.parse import MAX_CHARS, Decline, Parse, parse
from minicorpus.frames import sample_frames
from minicorpus.tutor import FRAMED_CELLS, applicable_errors, correct_core, render, wrong_core


def _parsed(sentence: str) -> Parse:
    got = parse(sentence)
    assert isinstance(got, Parse), got
    return got


@pytest.mark.parametrize(
    ("sentence", "correction", "code"),
    [
        (
            "Yesterday she goed to the market.",
            "Yesterday she went to the market.",
            "overregularization_past",
        ),
        (
            "Yesterday, she goed to the market.",
            "Yesterday, she went to the market.",
            "overregularization_past",
        ),
        ("my brother eat pizza", "my brother eats pizza", "missing_third_person_s"),
        ("I'm go to play chess.", "I'm going to play chess.", "wrong_aux_going_to_missing_ing"),
        ("She's eated.", "She's eaten.", "overregularization_past"),
        ("He has already eated.", "He has already eaten.", "overregularization_past"),
        ("I'll to go home.", "I'll go home.", "wrong_aux_will_with_to"),
        ("He gone home.", "He has gone home.", "bare_participle_missing_aux"),
        ("You goes to work.", "You go to work.", "subject_verb_disagreement"),
        ("He are tall.", "He is tall.", "subject_verb_disagreement"),
        ("It be cold.", "It is cold.", "missing_third_person_s"),
        ("The play start at nine.", "The play starts at nine.", "missing_third_person_s"),
        ("YESTERDAY SHE GOED HOME", "YESTERDAY SHE WENT HOME", "overregularization_past"),
        ("Lucía goed to the market.", "Lucía went to the market.", "overregularization_past"),
        ("Two years ago I seed a bear.", "Two years ago I saw a bear.", "overregularization_past"),
        ("In 2019 I writed a book.", "In 2019 I wrote a book.", "overregularization_past"),
        (
            "My mother's friend work here.",
            "My mother's friend works here.",
            "missing_third_person_s",
        ),
        ("This book look old.", "This book looks old.", "missing_third_person_s"),
        (
            "On mondays she start work early.",
            "On mondays she starts work early.",
            "missing_third_person_s",
        ),
    ],
)
def test_errors_are_fixed_in_place(sentence: str, correction: str, code: str) -> None:
    got = _parsed(sentence)
    assert (got.correction, got.error_type) == (correction, code)


@pytest.mark.parametrize(
    "sentence",
    ["She's gone home.", "you're tired", "I like the park.", "Every day she goes to work."],
)
def test_correct_sentences_are_left_alone(sentence: str) -> None:
    got = _parsed(sentence)
    assert got.error_type is None and got.correction == sentence


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        ("", "empty"),
        ("x" * (MAX_CHARS + 1), "too_long"),
        ("?? 12 !!", "garbage"),
        ("Ayer ella fue al mercado.", "language"),
        ("Does she like music?", "question"),
        ("He doesn't like fish.", "negation"),
        ("We goed home.", "plural"),
        ("My parents is kind.", "plural"),
        ("She flied to Paris.", "verb"),
        ("Hello there.", "no_verb"),
        ("Tom and I are friends.", "plural"),
        ("She has never be to Spain.", "unsupported"),
        ("She can play chess.", "verb"),
        ("I am eating.", "continuous"),
        ("He is going to school.", "continuous"),
        ("She goes home yesterday.", "tense_mismatch"),
        ("She has went home.", "unsupported"),
        ("He has already finish his homework.", "unsupported"),
        ("I have see this film.", "unsupported"),
        ("I am agree.", "unsupported"),
        ("She is work in a hospital.", "unsupported"),
        ("I want go home.", "unsupported"),
        ("I want to going home.", "unsupported"),
        ("She will is happy.", "unsupported"),
        ("My friend and me went to the park.", "plural"),
        ("Mi casa es grande.", "language"),
        ("¿Qué tal?", "language"),
        ("my teacher says I talk too much", "unsupported"),
        ("She's have a cat.", "unsupported"),
        ("Peter watchs TV.", "unsupported"),
        ("He wented home.", "unsupported"),
        ("When I was young I play football.", "unsupported"),
        ("he is going to eats pizza", "unsupported"),  # eat is one of the 20: not "another verb"
        ("She is going to swim.", "verb"),
    ],
)
def test_out_of_scope_is_declined_with_a_reason(sentence: str, reason: str) -> None:
    got = parse(sentence)
    assert isinstance(got, Decline) and got.reason == reason


CELLS = st.sampled_from(FRAMED_CELLS)


@given(CELLS, st.integers(0, 10))
def test_every_corpus_error_is_read_back_to_its_code_and_correction(cell: tuple, n: int) -> None:
    """Differential check against the corpus generator: its sentences, its labels."""
    verb, tense, person = cell
    frames = sample_frames(verb, tense, person, 11, seed=7)
    frame = frames[n % len(frames)]
    right = render(correct_core(verb, tense, person), person, frame)
    assert _parsed(right).error_type is None
    for code in applicable_errors(verb, tense, person):
        wrong_core_text = wrong_core(code, verb, tense, person)
        assert wrong_core_text is not None
        got = _parsed(render(wrong_core_text, person, frame))
        assert (got.error_type, got.correction) == (code, right)
