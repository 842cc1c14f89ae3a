"""Query facets (verbs, tense, error codes) and the structured retriever that matches them to front matter."""

from __future__ import annotations

import pytest

from minirag.build import load_retriever
from minirag.chunk import Chunk
from minirag.facets import error_rule_id, errors_in, facets
from minirag.fusion import rrf
from minirag.retriever import Retriever
from minirag.structured import StructuredScorer


@pytest.fixture(scope="module")
def kb() -> Retriever:
    """The shipped index over the real KB (its front matter is what the structured retriever reads)."""
    return load_retriever()


@pytest.mark.parametrize(
    ("query", "verbs"),
    [
        ("past of comer", {"eat"}),  # Spanish lemma
        ("yo comí o yo comé", {"eat"}),  # Spanish form
        ("is it eated?", {"eat"}),  # a misspelling the validator generates
        ("went or goed", {"go"}),
        ("the past of have", {"have"}),  # an auxiliary, but named as the object of the question
        ("how is the present perfect made", set()),  # `have` as grammar talk is no verb
    ],
)
def test_verbs_are_read_from_any_form(query: str, verbs: set[str]) -> None:
    assert facets(query).verbs == verbs


def test_error_codes_come_from_the_taxonomy_generators() -> None:
    assert errors_in("she will to go tomorrow") == {"wrong_aux_will_with_to"}
    assert errors_in("fix: he gone home") == {"bare_participle_missing_aux"}
    assert "overregularization_past" in errors_in("is it eated or ate")
    assert errors_in("does he work on sundays?") == frozenset()  # a question, not a missing -s
    assert errors_in("he works every day") == frozenset()
    assert error_rule_id("wrong_aux_will_with_to") == "error-wrong-aux-will-with-to"


@pytest.mark.parametrize(
    ("query", "rule"),
    [
        ("past of comer", "irregular-eat"),
        ("participio de escribir", "irregular-write"),
        ("she will to go, why is it wrong", "error-wrong-aux-will-with-to"),
    ],
)
def test_structured_finds_the_rule_by_its_front_matter(
    kb: Retriever, query: str, rule: str
) -> None:
    assert kb.search(query, 1, "structured")[0].rule_id == rule


def test_structured_keeps_only_matching_rules_most_specific_first(kb: Retriever) -> None:
    hits = kb.search("past of comer", 40, "structured")
    assert all("eat" in h.chunk.verbs or "past_simple" in h.chunk.tenses for h in hits)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)  # facets matched, best first
    both = [h for h in hits if h.score == 2]  # verb and tense: fewer verbs first
    sizes = [len(h.chunk.verbs) for h in both]
    assert sizes == sorted(sizes) and both[0].rule_id == "irregular-eat"


def test_a_question_without_facets_leaves_bm25_alone(kb: Retriever) -> None:
    query = "why is english spelling so weird"
    assert facets(query).empty and kb.search(query, 5, "structured") == []
    fused = Retriever(kb.chunks, kb.embedder, kb.index.vectors, fuse=("bm25", "structured"))
    assert [h.rule_id for h in fused.search(query, 5, "hybrid")] == [
        h.rule_id for h in kb.search(query, 5, "bm25")
    ]


def test_scorer_keys_by_hand() -> None:
    eat = Chunk("irregular-eat.en#0", "irregular-eat", "en", "t", "x", ("eat",), ("past_simple",))
    many = Chunk("past-simple.en#0", "past-simple", "en", "t", "x", ("eat", "go"), ("past_simple",))
    other = Chunk("future-will.en#0", "future-will", "en", "t", "x", ("go",), ("future_will",))
    matched, specific = StructuredScorer([eat, many, other]).keys(facets("past of comer"))
    assert matched.tolist() == [2, 2, 0]
    assert specific.tolist() == pytest.approx([1 + 0.01, 0.5 + 0.01, 0])
    assert rrf([["a", "b"], ["b"]])[0][0] == "b"  # a rule both lists hold beats one list's top pick


def test_tense_comes_from_keywords_else_from_a_quoted_spanish_form() -> None:
    assert facets("¿cómo se dice 'yo comí'?").tense == "past_simple"
    assert facets("participio de comer").tense == "past_participle"
    assert facets("'yo comí' o 'yo como'").tense is None  # two quoted tenses: no single answer
    # The longest quoted form wins.
    assert facets("'él fue' or 'él va a ir'").tense == "future_going_to"
    assert errors_in("I ___ going to work (be)") == frozenset()  # a blank is no mistake
