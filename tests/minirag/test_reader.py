from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from minirag.build import load_retriever
from minirag.chunk import rule_id_of
from minirag.pipeline import RAGPipeline
from minirag.prompt import DONT_KNOW, build_prompt, extract_citations, hallucinated
from minirag.reader import regular_guess, regular_past, regular_third
from minirag.retriever import MODES, Hit, Retriever

from .conftest import FIXTURE_QUERIES


@pytest.fixture(scope="module")
def pipeline(built: Path) -> RAGPipeline:
    return RAGPipeline(load_retriever(built))


def _faithfulness() -> list[dict]:  # type: ignore[type-arg]
    return [
        json.loads(line) for line in (FIXTURE_QUERIES / "faithfulness.jsonl").open(encoding="utf-8")
    ]


def test_extract_citations() -> None:
    text = "see [irregular-eat.en#0] and [past-ed-spelling.es#12], again [irregular-eat.en#0]; not [Eat] or [x]"
    assert extract_citations(text) == ["irregular-eat.en#0", "past-ed-spelling.es#12"]
    assert hallucinated(["a.en#0", "b.en#1"], ["b.en#1"]) == ["a.en#0"]


def test_prompt_carries_ids_titles_and_bodies(pipeline: RAGPipeline) -> None:
    hits = pipeline.retriever.search("past participle of eat", 3)
    prompt = build_prompt("past participle of eat", hits)
    for h in hits:
        assert f"[{h.chunk_id}] {h.chunk.title}" in prompt and h.chunk.text in prompt
    assert "Question: past participle of eat" in prompt
    assert "(no rules were retrieved)" in build_prompt("q", []) and DONT_KNOW in build_prompt(
        "q", []
    )


def test_regular_pattern_by_hand() -> None:
    assert [regular_past(v) for v in ("work", "like", "study", "play", "eat")] == [
        "worked",
        "liked",
        "studied",
        "played",
        "eated",
    ]
    assert [regular_third(v) for v in ("watch", "go", "study", "play")] == [
        "watches",
        "goes",
        "studies",
        "plays",
    ]
    assert regular_guess("write", "past_simple", "1sg") == "I writed"
    assert regular_guess("be", "present_simple", "3sg") == "he bes"


@pytest.mark.parametrize("mode", MODES)
def test_no_hallucinated_citation_over_the_faithfulness_set(
    pipeline: RAGPipeline, mode: str
) -> None:
    """Hard fail: every cited id, for every query and every retrieval mode, was retrieved for that query."""
    for item in _faithfulness():
        for k in (1, 3, 5):
            result = pipeline.ask(item["query"], k=k, mode=mode)  # type: ignore[arg-type]
            retrieved = [h.chunk_id for h in result.hits]
            assert not hallucinated(result.cited, retrieved), (item["id"], mode, k)
            assert bool(result.cited) == result.answer.grounded  # a grounded answer always cites


def test_grounded_answers_cite_and_match(pipeline: RAGPipeline) -> None:
    result = pipeline.ask("what is the past participle of eat?")
    assert re.search(r"\beaten\b", result.answer.text)
    assert [rule_id_of(c) for c in result.cited] == ["irregular-eat"]
    out = result.as_json()
    assert set(out) == {"query", "retrieved", "answer", "cited_chunks"}
    assert out["cited_chunks"][0] in [r["chunk_id"] for r in out["retrieved"]]


def test_closed_book_regularises_and_cites_nothing(pipeline: RAGPipeline) -> None:
    result = pipeline.ask("what is the past participle of eat?", closed_book=True)
    assert not result.hits and not result.cited and not result.answer.grounded
    assert result.answer.form == "eated"


def test_a_missed_rule_is_not_cited(built: Path) -> None:
    """With only the going-to chunks indexed, a question about eat's participle gets a guess, not a citation."""
    full = load_retriever(built)
    only = [c for c in full.chunks if c.rule_id == "going-to"]
    pipeline = RAGPipeline(Retriever(only, full.embedder))
    result = pipeline.ask("past participle of eat", k=2)
    assert not result.cited and result.answer.form == "eated"


def test_rag_answer_is_the_pipeline_answer(pipeline: RAGPipeline) -> None:
    from minirag.pipeline import rag_answer

    query = "past simple of go"
    assert rag_answer(query, pipeline.retriever, k=3) == pipeline.ask(query, k=3).answer.text
    assert re.search(r"\bwent\b", rag_answer(query, pipeline.retriever))


def test_completed_fills_the_blank_by_hand() -> None:
    from minirag.reader import completed

    assert completed("he ___ tv every night (watch)", "he watches") == "he watches tv every night"
    assert completed("I ___ going to work (be)", "I am") == "I am going to work"
    assert (
        completed("___ to the park (go)", "he went") == "he went to the park"
    )  # no subject before
    assert completed("past of go", "he went") is None


def test_spanish_cells_name_the_quoted_form() -> None:
    from minirag.lexicon import load_lexicon

    lex = load_lexicon()
    assert lex.spanish_cells("¿cómo se dice 'tú comiste'?") == [("eat", "past_simple", "2sg")]
    assert lex.spanish_cells("ella fue") == [
        ("be", "past_simple", "3sg"),
        ("go", "past_simple", "3sg"),
    ]
    assert lex.spanish_cells("past of comer") == []  # one word is a lemma, not a quoted cell


@pytest.fixture(scope="module")
def kb_pipeline() -> RAGPipeline:
    return RAGPipeline(load_retriever())


@pytest.mark.parametrize(
    ("query", "pattern", "rule"),
    [
        # A correction cites the rule of the error it contains, not the verb's own rule.
        ("correct this: she will to eat", r"\bhe will eat\b", "error-wrong-aux-will-with-to"),
        # Two verbs share "fue": both readings, cited by the rule about that ambiguity.
        (
            "qué significa 'él fue'",
            r"\bhe went\b.*\bhe was\b|\bhe was\b.*\bhe went\b",
            "spanish-fui",
        ),
    ],
)
def test_reader_cites_the_most_specific_rule(
    kb_pipeline: RAGPipeline, query: str, pattern: str, rule: str
) -> None:
    result = kb_pipeline.ask(query)
    assert re.search(pattern, result.answer.text), result.answer.text
    assert [rule_id_of(c) for c in result.cited] == [rule], result.answer.text


def test_a_quoted_spanish_form_is_answered_from_the_most_specific_rule(
    kb_pipeline: RAGPipeline,
) -> None:
    """Both rules declare eat and the past simple and show "ate"; the one about fewer verbs is cited, whatever
    the order of the hits."""
    chunks = kb_pipeline.retriever.by_id
    hits = [Hit(chunks["past-simple.en#0"], 2.0), Hit(chunks["irregular-eat.en#0"], 1.0)]
    answer = kb_pipeline.reader.answer("how do you say 'tú comiste' in english", hits)
    assert re.search(r"\byou ate\b", answer.text) and answer.cited == ("irregular-eat.en#0",)
