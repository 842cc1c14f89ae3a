"""The labelled query sets: loaded, sized as the issue asks, and their labels true against the KB and table."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from minirag.kb import load_rules
from minirag.queries import (
    Cell,
    FaithfulnessQuery,
    QueryError,
    RetrievalQuery,
    check,
    load_faithfulness,
    load_retrieval,
    version,
)


def test_the_committed_sets_are_clean_and_versioned() -> None:
    retrieval, faithfulness = load_retrieval(), load_faithfulness()
    assert check(retrieval, faithfulness, load_rules()) == []
    assert version() == "1.1"


def test_the_committed_sets_are_big_enough_in_each_language() -> None:
    retrieval = Counter(q.lang for q in load_retrieval())
    assert sum(retrieval.values()) >= 100 and retrieval["es"] >= 30 and retrieval["mixed"] >= 15
    assert len(load_faithfulness()) >= 60


def test_every_rule_is_relevant_to_some_query() -> None:
    labelled = {rid for q in load_retrieval() for rid in q.relevant}
    assert {r.id for r in load_rules()} <= labelled


RULES = load_rules()


def _f(
    pattern: str, cell: Cell | None = None, cite: tuple[str, ...] = ("irregular-eat",)
) -> FaithfulnessQuery:
    return FaithfulnessQuery("f-001", "past of eat", "en", cite, pattern, cell)


@pytest.mark.parametrize(
    ("query", "named"),
    [
        (_f(r"\bate\b", Cell("eat", "past_simple", "1sg", "en")), None),
        (_f(r"\bate(\b", Cell("eat", "past_simple", "1sg", "en")), "does not compile"),
        (_f(r"\beated\b"), "matches none of the rules"),
        (_f(r"\bgone\b", Cell("go", "past_participle", None, "en"), ("irregular-go",)), None),
        (
            _f(r"\bwent\b", Cell("go", "past_participle", None, "en"), ("irregular-go",)),
            "does not match the truth",
        ),
        (
            _f(r"\bwent", Cell("go", "past_simple", "1sg", "en"), ("irregular-go",)),
            "also accepts the misspelling",
        ),
        (_f(r"\bate\b", Cell("eat", "past_simple", None, "en")), "no truth-table cell"),
        (_f(r"\bcomí\b", Cell("eat", "past_simple", "1sg", "es")), None),
        (_f(r"\bate\b", cite=("no-such-rule",)), "not a rule of the KB"),
    ],
)
def test_a_faithfulness_label_is_checked(query: FaithfulnessQuery, named: str | None) -> None:
    problems = check([], [query], RULES)
    if named is None:
        assert problems == []
    else:
        assert any(named in p for p in problems), problems


def test_retrieval_ids_and_labels_are_checked() -> None:
    good = RetrievalQuery("r-001", "past of eat", "en", ("irregular-eat",))
    assert check([good], [], RULES) == []
    problems = check([good, good, RetrievalQuery("q1", "x", "en", ("nope",))], [], RULES)
    assert problems == [
        "r-001: used twice",
        "q1: ids are r-NNN",
        "q1: 'nope' is not a rule of the KB",
    ]


def test_matches_is_case_insensitive() -> None:
    q = _f(r"\bI ate\b")
    assert q.matches("yesterday i ate an apple [irregular-eat]") and not q.matches("I eated")


@pytest.mark.parametrize(
    ("row", "named"),
    [
        ({"id": "r-001", "query": "q", "lang": "fr", "relevant": ["a"]}, "lang 'fr'"),
        ({"id": "r-001", "query": "", "lang": "en", "relevant": ["a"]}, "`query`"),
        ({"id": "r-001", "query": "q", "lang": "en", "relevant": []}, "`relevant`"),
    ],
)
def test_a_malformed_retrieval_row_is_named(
    tmp_path: Path, row: dict[str, object], named: str
) -> None:
    path = tmp_path / "retrieval.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(QueryError, match=named) as info:
        load_retrieval(path)
    assert str(path) in str(info.value)


def test_a_malformed_cell_is_named(tmp_path: Path) -> None:
    path = tmp_path / "faithfulness.jsonl"
    row = {"id": "f-001", "query": "q", "lang": "en", "must_cite": ["a"], "answer_pattern": "x"}
    path.write_text(
        json.dumps(row | {"cell": {"verb": "eat", "tense": "t", "side": "fr"}}) + "\n", "utf-8"
    )
    with pytest.raises(QueryError, match="side 'fr'"):
        load_faithfulness(path)


def test_a_readme_without_a_version_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# no version here\n", encoding="utf-8")
    with pytest.raises(QueryError, match="Version"):
        version(tmp_path)
