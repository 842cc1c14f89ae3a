from __future__ import annotations

from pathlib import Path

import pytest

from minirag.lexicon import load_lexicon, person_in, tense_in


@pytest.mark.parametrize(
    ("query", "verb", "tense", "person"),
    [
        ("what is the past participle of eat?", "eat", "past_participle", None),
        ("¿cuál es el pasado de write?", "write", "past_simple", None),  # not `es` (ser)
        ("participio de comer en inglés", "eat", "past_participle", None),  # Spanish lemma
        ("past simple of have", "have", "past_simple", None),  # an auxiliary named as the object
        ("third person of watch", "watch", "present_simple", "3sg"),
        ("future with will of eat for he", "eat", "future_will", "3sg"),
        (
            "how do I form the present perfect?",
            None,
            "past_participle",
            "1sg",
        ),  # no verb: a concept
        ("do or does in questions", None, None, None),
    ],
)
def test_query_parsing(query: str, verb: str | None, tense: str | None, person: str | None) -> None:
    assert load_lexicon().verb_in(query) == verb
    assert tense_in(query) == tense
    assert person_in(query) == person


def test_forms_come_from_the_truth_table() -> None:
    lex = load_lexicon()
    assert lex.form("eat", "past_participle") == "eaten"
    assert lex.form("go", "past_simple", "1sg", "es") == "yo fui"
    assert lex.spanish["write"] == "escribir"


def test_fill_in_the_blank_questions(built: Path) -> None:
    from minirag.build import load_retriever
    from minirag.pipeline import RAGPipeline

    pipeline = RAGPipeline(load_retriever(built))
    assert pipeline.ask("she ___ every day (go)").answer.form == "he goes"  # no cue: the present
    assert pipeline.ask("have you ever ___ it (eat)").answer.form == "eaten"  # ever: the participle
    answer = pipeline.ask(
        "you ___ going to work (be)"
    ).answer  # the blank is the auxiliary, not the future
    assert (answer.verb, answer.tense) == ("be", "present_simple")
