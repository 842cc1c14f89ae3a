"""The Spanish a learner is shown: exact for corpus frames, the model's only within the words it was trained
on, and otherwise the table's verb clause with `…` where words could not be translated — never noise."""

from __future__ import annotations

import json

import pytest

from lynx_cortex.paths import data_dir
from miniagent.tutor.spanish import corpus_vocabulary, partial_translation, unknown_words, words
from miniagent.tutor.tutor import GrammarTutor


def test_the_vocabulary_holds_every_word_of_the_held_out_corpus_sentences() -> None:
    english, spanish = corpus_vocabulary()
    path = data_dir() / "tutor" / "frames" / "test-00.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 2608
    for row in rows:
        assert words(row["correct_text"]) <= english, row["id"]
        assert words(row["spanish"]) <= spanish, row["id"]


@pytest.mark.parametrize(
    ("english", "spanish", "unknown"),
    [
        (
            "I had a terrible headache yesterday.",
            "Yo tenía un trabajoidoañ ayer.",
            ("headache", "terrible", "trabajoidoañ"),
        ),
        (
            "I have written three emails today.",
            "Yo he escrito una ofjo.",
            ("emails", "ofjo", "three"),
        ),
        ("Yesterday she went to the market.", "Ayer ella fue al mercado.", ()),
    ],
)
def test_unknown_words_are_the_ones_the_corpus_never_holds(
    english: str, spanish: str, unknown: tuple[str, ...]
) -> None:
    assert unknown_words(english, spanish) == unknown


@pytest.mark.parametrize(
    ("sentence", "subject", "group", "clause", "expected"),
    [
        ("I had a terrible headache yesterday.", "I", "had", "yo tuve", "Yo tuve … ayer."),
        (
            "Last year Pedro walked to Santiago.",
            "Pedro",
            "walked",
            "él caminó",
            "El año pasado Pedro caminó …",
        ),
        ("My sister has two cats.", "My sister", "has", "él tiene", "… tiene …"),
        ("She works.", "she", "works", "él trabaja", "Ella trabaja."),
        ("Maria likes chocolate very much.", "Maria", "likes", "le gusta", "A Maria le gusta …"),
        ("I like it a lot.", "I", "like", "me gusta", "Me gusta …"),
        ("She likes the new song.", "she", "likes", "le gusta", "A ella le gusta …"),
    ],
)
def test_a_partial_translation_keeps_subject_verb_and_adverb_and_marks_the_rest(
    sentence: str, subject: str, group: str, clause: str, expected: str
) -> None:
    assert partial_translation(sentence, subject, group, clause) == expected


@pytest.fixture(scope="module")
def tutor() -> GrammarTutor:
    return GrammarTutor()


@pytest.mark.parametrize(
    "sentence",
    [
        "I haved a terrible headache yesterday.",
        "I have writed three emails today.",
        "My sister have two cats.",
    ],
)
def test_the_tutor_never_shows_spanish_outside_its_vocabulary(
    tutor: GrammarTutor, sentence: str
) -> None:
    result = tutor.correct(sentence)
    assert result.in_scope and result.spanish_translation is not None
    _, spanish = corpus_vocabulary()
    (table,) = [s for s in result.trace if s.get("tool") == "lookup_spanish"]
    clause = table["result"]["matches"][0]["spanish"]  # the table's own Spanish (`yo tuve`)
    assert words(result.spanish_translation) <= spanish | words(clause)
    assert (
        "…" in result.spanish_translation
    )  # the untranslated words are marked, not dropped silently
    assert any(step["step"] == "spanish_model_skipped" for step in result.trace)
