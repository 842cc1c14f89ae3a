"""The one JSONL reader and the truth-table view of the layers below minicorpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lynx_cortex.domain import TABLE_FILE, domain
from lynx_cortex.errors import LynxError
from lynx_cortex.jsonl import JsonlError, iter_jsonl, read_jsonl
from minicorpus.verb_table import PERSONS, TENSES, VERB_TABLE, VERBS

scalars = st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False)
objects = st.dictionaries(st.text(), st.recursive(scalars, lambda c: st.lists(c, max_size=3)))


@pytest.fixture(scope="module")
def rows_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file every example overwrites (hypothesis runs ~100 examples per test call; a fresh folder for
    each cost seconds of file-system work)."""
    return tmp_path_factory.mktemp("jsonl") / "rows.jsonl"


@given(rows=st.lists(objects, max_size=5))
def test_what_json_dumps_writes_reads_back(rows_file: Path, rows: list[dict[str, Any]]) -> None:
    # Any text, U+2028 and other line separators included, survives: lines are split on "\n" only.
    rows_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    assert read_jsonl(rows_file, blank_lines="error") == rows


def test_line_numbers_count_skipped_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n', encoding="utf-8")
    assert list(iter_jsonl(path)) == [(1, {"a": 1}), (3, {"a": 2})]
    with pytest.raises(JsonlError, match=r"a\.jsonl:2: empty line"):
        read_jsonl(path, blank_lines="error")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"a": 1}\n{not json\n', r"bad\.jsonl:2: not valid JSON"),
        (b'{"a": 1}\n[1, 2]\n', r"bad\.jsonl:2: expected a JSON object, found list"),
        (b'{"a": "\xff"}\n', r"bad\.jsonl: not UTF-8 text \(invalid start byte at byte 7\)"),
    ],
)
def test_bad_files_name_the_file_and_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(JsonlError, match=message) as info:
        read_jsonl(path)
    assert isinstance(info.value, LynxError) and isinstance(info.value, ValueError)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(JsonlError, match="nope.jsonl does not exist"):
        read_jsonl(tmp_path / "nope.jsonl")


def test_the_domain_is_the_truth_table() -> None:
    table = domain()
    assert table.verbs == tuple(sorted(VERBS))
    assert table.irregular == {v for v in VERBS if VERB_TABLE[v].english_regularity == "irregular"}
    assert (table.tenses, table.persons) == (TENSES, PERSONS)


def test_a_missing_truth_table_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(LynxError, match=f"{TABLE_FILE}.*lynx corpus export-table"):
        domain(tmp_path)
