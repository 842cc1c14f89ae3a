"""The labelled query sets that score retrieval and faithfulness, and the checks that keep their labels true.

Two files under `data/kb/queries/`, written by hand as learners would ask:

- `retrieval.jsonl`: `{"id": "r-001", "query", "lang": "en"|"es"|"mixed", "relevant": [rule ids]}`;
- `faithfulness.jsonl`: `{"id": "f-001", "query", "lang", "must_cite": [rule ids], "answer_pattern": regex}`
  plus, where the answer is one cell of the truth table, `"cell": {"verb", "tense", "person"?, "side"}`.

Labels rot silently: a rule renamed, a pattern that would accept `eated`. `check` catches both: every id must
name a KB rule, every pattern must compile (matched case-insensitively), must match the truth table's answer
when the query has one and no misspelling of that verb, and must match the text of a rule it asks the
reader to cite (outside its ~~wrong~~ examples), so a faithful answer is possible at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lynx_cortex.errors import LynxError
from lynx_cortex.jsonl import read_jsonl
from minirag.kb import Rule, kb_dir
from minirag.kb_validate import WRONG, truth

LANGS = ("en", "es", "mixed")
SIDES = ("en", "es")
VERSION = re.compile(r"^Version:\s*(\S+)\s*$", re.MULTILINE)


class QueryError(LynxError, ValueError):
    """A query file that cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class RetrievalQuery:
    id: str
    query: str
    lang: str
    relevant: tuple[str, ...]


@dataclass(frozen=True)
class Cell:
    """The truth-table cell whose form is the answer; `side` says which language the answer is in."""

    verb: str
    tense: str
    person: str | None
    side: str


@dataclass(frozen=True)
class FaithfulnessQuery:
    id: str
    query: str
    lang: str
    must_cite: tuple[str, ...]
    answer_pattern: str
    cell: Cell | None = None

    def matches(self, answer: str) -> bool:
        """Whether `answer` contains the expected answer (the pattern, case-insensitive)."""
        return re.search(self.answer_pattern, answer, re.IGNORECASE) is not None


def queries_dir() -> Path:
    return kb_dir() / "queries"


def version(folder: Path | None = None) -> str:
    """The query sets' version, from the `Version:` line of their README."""
    path = (folder if folder is not None else queries_dir()) / "README.md"
    found = VERSION.search(path.read_text(encoding="utf-8"))
    if found is None:
        raise QueryError(f"{path}: no `Version: X.Y` line")
    return found.group(1)


def _str(where: str, row: dict[str, Any], name: str) -> str:
    value = row.get(name)
    if not isinstance(value, str) or not value.strip():
        raise QueryError(f"{where}: `{name}` must be a non-empty string")
    return value


def _ids(where: str, row: dict[str, Any], name: str) -> tuple[str, ...]:
    value = row.get(name)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise QueryError(f"{where}: `{name}` must be a non-empty list of rule ids")
    return tuple(value)


def _lang(where: str, row: dict[str, Any]) -> str:
    lang = _str(where, row, "lang")
    if lang not in LANGS:
        raise QueryError(f"{where}: lang {lang!r} is not one of {', '.join(LANGS)}")
    return lang


def _cell(where: str, row: dict[str, Any]) -> Cell | None:
    raw = row.get("cell")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise QueryError(f"{where}: `cell` must be an object with verb, tense, person, side")
    person = raw.get("person")
    if person is not None and not isinstance(person, str):
        raise QueryError(f"{where}: cell `person` must be a string or null")
    side = raw.get("side", "en")
    if side not in SIDES:
        raise QueryError(f"{where}: cell side {side!r} is not one of {', '.join(SIDES)}")
    return Cell(_str(where, raw, "verb"), _str(where, raw, "tense"), person, side)


def load_retrieval(path: Path | None = None) -> list[RetrievalQuery]:
    path = path if path is not None else queries_dir() / "retrieval.jsonl"
    out = []
    for n, row in enumerate(read_jsonl(path), start=1):
        where = f"{path}: query {n}"
        out.append(
            RetrievalQuery(
                _str(where, row, "id"),
                _str(where, row, "query"),
                _lang(where, row),
                _ids(where, row, "relevant"),
            )
        )
    return out


def load_faithfulness(path: Path | None = None) -> list[FaithfulnessQuery]:
    path = path if path is not None else queries_dir() / "faithfulness.jsonl"
    out = []
    for n, row in enumerate(read_jsonl(path), start=1):
        where = f"{path}: query {n}"
        out.append(
            FaithfulnessQuery(
                id=_str(where, row, "id"),
                query=_str(where, row, "query"),
                lang=_lang(where, row),
                must_cite=_ids(where, row, "must_cite"),
                answer_pattern=_str(where, row, "answer_pattern"),
                cell=_cell(where, row),
            )
        )
    return out


def _check_ids(
    queries: Sequence[RetrievalQuery | FaithfulnessQuery], prefix: str, known: set[str]
) -> list[str]:
    out = []
    seen: set[str] = set()
    for q in queries:
        if not re.fullmatch(rf"{prefix}-\d{{3}}", q.id):
            out.append(f"{q.id}: ids are {prefix}-NNN")
        if q.id in seen:
            out.append(f"{q.id}: used twice")
        seen.add(q.id)
        labels = q.relevant if isinstance(q, RetrievalQuery) else q.must_cite
        out += [f"{q.id}: {rid!r} is not a rule of the KB" for rid in labels if rid not in known]
    return out


def _answer(cell: Cell) -> str | None:
    """The table's form for the cell, or None if the cell does not exist."""
    t = truth()
    person = (
        cell.person if cell.person is not None else ("1sg" if cell.tense in t.invariant else None)
    )
    if person is None:
        return None
    form = t.forms.get((cell.verb, cell.tense, person))
    if form is None:
        return None
    return form[0] if cell.side == "en" else form[1]


def _check_pattern(q: FaithfulnessQuery, bodies: dict[str, str]) -> list[str]:
    try:
        pattern = re.compile(q.answer_pattern, re.IGNORECASE)
    except re.error as exc:
        return [f"{q.id}: answer_pattern does not compile ({exc})"]
    out = []
    if not any(pattern.search(bodies.get(rid, "")) for rid in q.must_cite):
        out.append(f"{q.id}: answer_pattern matches none of the rules it must cite")
    if q.cell is not None:
        answer = _answer(q.cell)
        if answer is None:
            out.append(f"{q.id}: no truth-table cell {q.cell}")
        elif not pattern.search(answer):
            out.append(f"{q.id}: answer_pattern does not match the truth table's {answer!r}")
        elif q.cell.side == "en":
            t = truth()
            wrong = [
                w for w, lemma in t.misspelt.items() if lemma == q.cell.verb and pattern.search(w)
            ]
            if wrong:
                out.append(f"{q.id}: answer_pattern also accepts the misspelling {wrong[0]!r}")
    return out


def check(
    retrieval: Sequence[RetrievalQuery],
    faithfulness: Sequence[FaithfulnessQuery],
    rules: Sequence[Rule],
) -> list[str]:
    """Every problem of the two query sets against the KB `rules`; `[]` means the labels can be trusted."""
    known = {r.id for r in rules}
    bodies: dict[str, str] = {}
    for rule in rules:
        text = WRONG.sub(" ", rule.body)  # a struck-out wrong example is no support for an answer
        bodies[rule.id] = bodies.get(rule.id, "") + "\n" + rule.title + "\n" + text
    out = _check_ids(retrieval, "r", known) + _check_ids(faithfulness, "f", known)
    for q in faithfulness:
        out += _check_pattern(q, bodies)
    return out


__all__ = [
    "Cell",
    "FaithfulnessQuery",
    "QueryError",
    "RetrievalQuery",
    "check",
    "load_faithfulness",
    "load_retrieval",
    "queries_dir",
    "version",
]
