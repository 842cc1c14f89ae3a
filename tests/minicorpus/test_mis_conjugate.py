"""The six error types: exact deviant forms, corrections, and where each one does not apply."""

from __future__ import annotations

import pytest

from minicorpus.conjugate import conjugate_english
from minicorpus.mis_conjugate import (
    MIS_CONJUGATION_TYPES,
    apply_bare_participle_missing_aux,
    apply_missing_third_person_s,
    apply_overregularization_past,
    apply_subject_verb_disagreement,
    apply_wrong_aux_going_to_missing_ing,
    apply_wrong_aux_will_with_to,
    check_type,
    correct_form_for,
    eligible_mis_conjugations,
    mis_conjugate,
    row_person,
)
from minicorpus.verb_table import PERSONS, TENSES, VERB_TABLE, VERBS

E = VERB_TABLE


def test_codes_are_the_seeds() -> None:
    assert MIS_CONJUGATION_TYPES == (
        "missing_third_person_s",
        "overregularization_past",
        "wrong_aux_will_with_to",
        "wrong_aux_going_to_missing_ing",
        "subject_verb_disagreement",
        "bare_participle_missing_aux",
    )


@pytest.mark.parametrize(
    ("verb", "wrong"),
    [
        ("work", "he work"),
        ("be", "he be"),
        ("have", "he have"),
        ("do", "he do"),
        ("go", "he go"),
        ("watch", "he watch"),
        ("study", "he study"),
        ("like", "he like"),
    ],
)
def test_missing_third_person_s(verb: str, wrong: str) -> None:
    form = conjugate_english(verb, "present_simple", "3sg")
    assert apply_missing_third_person_s(form, E[verb], "present_simple", "3sg") == wrong
    assert correct_form_for("missing_third_person_s", E[verb], "present_simple", "3sg") == form


def test_missing_s_not_applicable() -> None:
    assert apply_missing_third_person_s("I work", E["work"], "present_simple", "1sg") is None
    assert apply_missing_third_person_s("he worked", E["work"], "past_simple", "3sg") is None


@pytest.mark.parametrize(
    ("verb", "tense", "person", "wrong"),
    [
        ("go", "past_simple", "1sg", "I goed"),
        ("eat", "past_simple", "3sg", "he eated"),
        ("eat", "past_participle", None, "eated"),
        ("see", "past_simple", "2sg", "you seed"),
        ("write", "past_participle", None, "writed"),
        ("come", "past_simple", "1sg", "I comed"),
        ("have", "past_simple", "3sg", "he haved"),
        ("do", "past_participle", None, "doed"),
    ],
)
def test_overregularization(verb: str, tense: str, person: str | None, wrong: str) -> None:
    form = conjugate_english(verb, tense, person)
    assert apply_overregularization_past(form, E[verb], tense, person) == wrong


def test_overregularization_not_applicable() -> None:
    assert apply_overregularization_past("I worked", E["work"], "past_simple", "1sg") is None
    assert apply_overregularization_past("I was", E["be"], "past_simple", "1sg") is None
    assert apply_overregularization_past("I go", E["go"], "present_simple", "1sg") is None


def test_will_with_to_and_going_to_without_ing() -> None:
    assert (
        apply_wrong_aux_will_with_to("he will work", E["work"], "future_will", "3sg")
        == "he will to work"
    )
    assert apply_wrong_aux_will_with_to("I work", E["work"], "present_simple", "1sg") is None
    got = apply_wrong_aux_going_to_missing_ing(
        "I am going to work", E["work"], "future_going_to", "1sg"
    )
    assert got == "I am go to work"
    got = apply_wrong_aux_going_to_missing_ing(
        "he is going to go", E["go"], "future_going_to", "3sg"
    )
    assert got == "he is go to go"
    assert apply_wrong_aux_going_to_missing_ing("he will go", E["go"], "future_will", "3sg") is None


@pytest.mark.parametrize(
    ("verb", "tense", "person", "wrong", "correct"),
    [
        ("be", "past_simple", "2sg", "you was", "you were"),
        ("be", "past_simple", "1sg", "I were", "I was"),
        ("be", "present_simple", "3sg", "he am", "he is"),
        ("be", "present_simple", "2sg", "you is", "you are"),
        ("have", "present_simple", "2sg", "you has", "you have"),
        ("work", "future_going_to", "3sg", "he am going to work", "he is going to work"),
        ("work", "past_participle", "2sg", "you has worked", "you have worked"),
        ("go", "past_participle", "3sg", "he have gone", "he has gone"),
    ],
)
def test_subject_verb_disagreement(
    verb: str, tense: str, person: str, wrong: str, correct: str
) -> None:
    form = conjugate_english(verb, tense, person)
    assert apply_subject_verb_disagreement(form, E[verb], tense, person) == wrong
    assert correct_form_for("subject_verb_disagreement", E[verb], tense, person) == correct


def test_subject_verb_disagreement_not_applicable() -> None:
    assert apply_subject_verb_disagreement("I work", E["work"], "present_simple", "1sg") is None
    assert apply_subject_verb_disagreement("he will work", E["work"], "future_will", "3sg") is None
    # `he have` belongs to missing_third_person_s; one text, one code
    assert apply_subject_verb_disagreement("he has", E["have"], "present_simple", "3sg") is None
    assert apply_subject_verb_disagreement("worked", E["work"], "past_participle", None) is None


def test_bare_participle() -> None:
    assert apply_bare_participle_missing_aux("gone", E["go"], "past_participle", "3sg") == "he gone"
    assert (
        correct_form_for("bare_participle_missing_aux", E["go"], "past_participle", "3sg")
        == "he has gone"
    )
    assert (
        apply_bare_participle_missing_aux("eaten", E["eat"], "past_participle", "1sg") == "I eaten"
    )
    # `he worked` / `he had` are correct past simples, `he come` is a missing -s: not this error
    assert apply_bare_participle_missing_aux("worked", E["work"], "past_participle", "3sg") is None
    assert apply_bare_participle_missing_aux("had", E["have"], "past_participle", "3sg") is None
    assert apply_bare_participle_missing_aux("come", E["come"], "past_participle", "3sg") is None
    assert apply_bare_participle_missing_aux("gone", E["go"], "past_participle", None) is None


def test_no_wrong_form_is_ever_correct_english() -> None:
    correct = {conjugate_english(v, t, p) for v in VERBS for t in TENSES for p in PERSONS}
    for verb in VERBS:
        for tense in TENSES:
            for person in (*PERSONS, None):
                if person is None and tense not in ("infinitive", "past_participle"):
                    continue
                for code in MIS_CONJUGATION_TYPES:
                    wrong = mis_conjugate(code, E[verb], tense, person)
                    assert wrong is None or wrong not in correct, (code, verb, tense, person)


def test_eligibility() -> None:
    assert eligible_mis_conjugations(E["work"], "present_simple", "3sg") == [
        "missing_third_person_s"
    ]
    assert eligible_mis_conjugations(E["work"], "infinitive", None) == []
    assert eligible_mis_conjugations(E["be"], "present_simple", "3sg") == [
        "missing_third_person_s",
        "subject_verb_disagreement",
    ]
    assert eligible_mis_conjugations(E["go"], "past_participle", "3sg") == [
        "overregularization_past",
        "subject_verb_disagreement",
        "bare_participle_missing_aux",
    ]
    assert eligible_mis_conjugations(E["go"], "future_going_to", "1sg") == [
        "wrong_aux_going_to_missing_ing",
        "subject_verb_disagreement",
    ]


def test_row_person() -> None:
    assert row_person("overregularization_past", "past_participle", "3sg") is None
    assert row_person("bare_participle_missing_aux", "past_participle", "3sg") == "3sg"
    assert row_person("missing_third_person_s", "present_simple", "3sg") == "3sg"


def test_errors() -> None:
    with pytest.raises(ValueError, match="not the correct form"):
        apply_missing_third_person_s("he work", E["work"], "present_simple", "3sg")
    with pytest.raises(ValueError, match="taxonomy is closed"):
        check_type("spelling_error")
    with pytest.raises(ValueError, match="unknown tense"):
        mis_conjugate("wrong_aux_will_with_to", E["work"], "conditional", "1sg")
