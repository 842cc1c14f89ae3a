"""COVERAGE.md is generated: the committed file must be what the KB renders to, and the matrix must be right."""

from __future__ import annotations

from pathlib import Path

from minirag.kb import load_rules
from minirag.kb_coverage import COMMAND, coverage, coverage_path, main, render


def test_the_committed_coverage_is_the_generated_one() -> None:
    committed = coverage_path().read_text(encoding="utf-8")
    assert committed == render(load_rules()), f"COVERAGE.md is stale: run `{COMMAND}`"


def test_every_cell_of_the_table_has_a_rule() -> None:
    cells = coverage(load_rules())
    assert len(cells) == 20 * 6
    assert [cell for cell, ids in cells.items() if not ids] == []


def _rule(folder: Path, rid: str, verbs: str, tenses: str) -> None:
    for lang in ("en", "es"):
        path = folder / "tenses" / f"{rid}.{lang}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"---\nid: {rid}\nlang: {lang}\ntopic: tenses\ntitle: t\nverbs: {verbs}\ntenses: {tenses}\n---\nbody\n",
            encoding="utf-8",
        )


def test_a_cell_lists_each_rule_once_whatever_its_languages(tmp_path: Path) -> None:
    _rule(tmp_path, "a", "[eat, go]", "[past_simple]")
    _rule(tmp_path, "b", "[eat]", "[past_simple, infinitive]")
    cells = coverage(load_rules(tmp_path))
    assert cells[("eat", "past_simple")] == ["a", "b"]
    assert cells[("go", "past_simple")] == ["a"]
    assert cells[("eat", "infinitive")] == ["b"]
    assert cells[("go", "infinitive")] == []
    assert sum(1 for ids in cells.values() if ids) == 3


def test_main_writes_the_file_into_the_folder(tmp_path: Path) -> None:
    _rule(tmp_path, "a", "[eat]", "[past_simple]")
    assert main([str(tmp_path)]) == 0
    text = (tmp_path / "COVERAGE.md").read_text(encoding="utf-8")
    assert "1 rules in 2 files" in text and "| tenses | 1 | 2 |" in text
    assert "| eat | 0 | 0 | 1 | 0 | 0 | 0 |" in text
