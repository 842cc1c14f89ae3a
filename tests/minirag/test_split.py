"""The dev/test split of the query sets: shipped, stable, disjoint, complete, stratified by language."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lynx_cortex.errors import LynxError
from minirag.evaluate import Query
from minirag.queries import load_faithfulness, load_retrieval, queries_dir, version
from minirag.split import DEV_SHARE, SPLIT_FILE, assign, load_split, make_split, split_queries

from .conftest import FIXTURE_QUERIES


def test_the_shipped_split_is_the_one_the_rule_gives() -> None:
    """Regenerating the split from the current files gives the committed file: nobody hand-moved a query."""
    shipped = json.loads((queries_dir() / SPLIT_FILE).read_text(encoding="utf-8"))
    assert shipped == make_split(load_retrieval(), load_faithfulness(), version())
    assert shipped["version"] == version() == "1.1"


def test_shipped_split_is_disjoint_complete_and_stratified() -> None:
    split = load_split(queries_dir())
    assert split is not None
    for name, queries in (("retrieval", load_retrieval()), ("faithfulness", load_faithfulness())):
        dev, test = set(split[name]["dev"]), set(split[name]["test"])
        assert not dev & test and dev | test == {q.id for q in queries}
        langs = Counter(q.lang for q in queries)
        dev_langs = Counter(q.lang for q in queries if q.id in dev)
        for lang, n in langs.items():
            assert dev_langs[lang] == round(DEV_SHARE * n)


@given(st.lists(st.sampled_from(["en", "es", "mixed"]), min_size=1, max_size=60))
def test_assign_is_a_stratified_partition_independent_of_file_order(langs: list[str]) -> None:
    queries = [Query(f"r-{i:03d}", "q", lang, ("x",)) for i, lang in enumerate(langs)]
    split = assign(queries)
    assert assign(list(reversed(queries))) == split
    assert set(split["dev"]).isdisjoint(split["test"])
    assert set(split["dev"]) | set(split["test"]) == {q.id for q in queries}
    for lang, n in Counter(langs).items():
        dev = sum(q.lang == lang and q.id in split["dev"] for q in queries)
        assert dev == round(DEV_SHARE * n)


def test_a_folder_without_a_split_is_one_set_and_a_stale_split_is_refused(tmp_path: Path) -> None:
    assert load_split(FIXTURE_QUERIES) is None
    queries = [Query("r-001", "q", "en", ("x",)), Query("r-002", "q", "es", ("x",))]
    assert split_queries(queries, None) == {"all": queries}
    with pytest.raises(LynxError, match="unknown query ids"):
        split_queries(queries, {"dev": ("r-001",), "test": ("r-009",)})
    with pytest.raises(LynxError, match="does not cover"):
        split_queries(queries, {"dev": ("r-001",), "test": ()})
    (tmp_path / SPLIT_FILE).write_text('{"retrieval": {"dev": ["a"], "test": ["a"]}}')
    with pytest.raises(LynxError, match="split"):
        load_split(tmp_path)
