"""The one framing of v1 and v1.1 rows, and reading a model's continuation back into its fields."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minicorpus.framing import (
    BOS,
    NO_ERROR,
    SEP,
    Answer,
    parse_answer,
    prompt,
    reference_correction,
    split_row,
)

TUTOR_WRONG = {
    "id": "000007",
    "text": "Yesterday she goed to the market.",
    "correct_text": "Yesterday she went to the market.",
    "error_type": "overregularization_past",
    "spanish": "Ayer ella fue al mercado.",
}
TUTOR_RIGHT = {**TUTOR_WRONG, "text": TUTOR_WRONG["correct_text"], "error_type": None}


def test_a_tutor_row_frames_into_source_and_target() -> None:
    source, target = split_row(TUTOR_WRONG)
    assert source == f"{BOS}Yesterday she goed to the market.{SEP}"
    assert target == (
        f"Yesterday she went to the market.{SEP}overregularization_past{SEP}Ayer ella fue al mercado.{BOS}"
    )
    assert source == prompt(TUTOR_WRONG["text"])


def test_a_correct_sentence_maps_to_itself_with_code_none() -> None:
    _, target = split_row(TUTOR_RIGHT)
    assert parse_answer(target) == Answer(
        TUTOR_RIGHT["text"], NO_ERROR, "Ayer ella fue al mercado."
    )


def test_rows_that_cannot_be_framed_say_which_field() -> None:
    with pytest.raises(ValueError, match="000007 has no correction"):
        split_row({**TUTOR_WRONG, "correct_text": ""})
    with pytest.raises(ValueError, match="'spanish'"):
        split_row({**TUTOR_WRONG, "spanish": None})


def test_a_cut_off_answer_keeps_only_the_closed_fields() -> None:
    assert parse_answer("He works.") == Answer(None, None, None)
    assert parse_answer(f"He works.{SEP}none") == Answer("He works.", None, None)
    assert parse_answer(f"He works.{SEP}none{SEP}Él trabaja.") == Answer("He works.", "none", None)
    full = parse_answer(f"He works.{SEP}none{SEP}Él trabaja.{BOS}trailing")
    assert full == Answer("He works.", "none", "Él trabaja.") and full.complete


texts = st.text(alphabet=st.characters(blacklist_characters="<|>"), max_size=40)


@given(texts, texts, texts)
def test_parse_answer_inverts_the_target_framing(correction: str, code: str, spanish: str) -> None:
    target = f"{correction}{SEP}{code}{SEP}{spanish}{BOS}"
    assert parse_answer(target) == Answer(correction, code, spanish)


def test_the_reference_correction_is_the_sentence_for_a_correct_row_and_the_fix_otherwise() -> None:
    correct = {"id": "c", "text": "She eats.", "spanish": "Ella come.", "label": "correct"}
    wrong = {
        "id": "w",
        "text": "She eat.",
        "correct_text": "She eats.",
        "spanish": "Ella come.",
        "label": "incorrect",
        "error_type": "missing_third_person_s",
    }
    assert reference_correction(correct) == "She eats."
    assert reference_correction(wrong) == "She eats."
