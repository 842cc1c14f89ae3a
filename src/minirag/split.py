"""The dev/test split of the labelled query sets: tune on `dev`, report on `test`.

With 142 retrieval and 73 faithfulness queries, every change chosen because it raised the score on the same
queries it is then reported on overstates it. So the sets are split once, before any tuning, and the split is
data (`data/kb/queries/split.json`), not a seed: a query stays on its side however the files grow.

The assignment reads only the ids and the `lang` field, never a query's text or label: within each language,
ids are ordered by sha256(salt + id) and the first `round(DEV_SHARE · n)` go to dev. Stratifying by language
keeps Spanish and mixed queries, the hard ones, on both sides in the same proportion.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from lynx_cortex.errors import LynxError

SPLIT_FILE = "split.json"
DEV_SHARE = 0.4
SALT = "lynx-rag-split/1"
SPLITS = ("dev", "test")
SETS = ("retrieval", "faithfulness")


class Labelled(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def lang(self) -> str: ...


Q = TypeVar("Q", bound=Labelled)


def _order(qid: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{qid}".encode()).hexdigest()


def assign(
    queries: Iterable[Labelled], *, dev_share: float = DEV_SHARE, salt: str = SALT
) -> dict[str, list[str]]:
    """{"dev": ids, "test": ids}, each sorted; stratified by language, decided by a hash of the id alone."""
    by_lang: dict[str, list[str]] = {}
    for q in queries:
        by_lang.setdefault(q.lang, []).append(q.id)
    dev: list[str] = []
    for ids in by_lang.values():
        ranked = sorted(ids, key=lambda qid: _order(qid, salt))
        dev += ranked[: round(dev_share * len(ranked))]
    chosen = set(dev)
    test = [qid for ids in by_lang.values() for qid in ids if qid not in chosen]
    return {"dev": sorted(dev), "test": sorted(test)}


def make_split(
    retrieval: Sequence[Labelled], faithfulness: Sequence[Labelled], version: str
) -> dict[str, Any]:
    """The content of `split.json` for these query sets."""
    return {
        "version": version,
        "dev_share": DEV_SHARE,
        "method": f"per language, ids ordered by sha256('{SALT}:' + id); the first round({DEV_SHARE} n) are dev",
        "retrieval": assign(retrieval),
        "faithfulness": assign(faithfulness),
    }


def load_split(folder: Path) -> dict[str, dict[str, tuple[str, ...]]] | None:
    """{"retrieval"|"faithfulness": {"dev"|"test": ids}} from `folder/split.json`, or None when the folder has no
    split (a fixture query set): the caller then evaluates everything as one set."""
    path = folder / SPLIT_FILE
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        out = {s: {part: tuple(raw[s][part]) for part in SPLITS} for s in SETS}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LynxError(f"{path}: cannot read the dev/test split ({exc})") from None
    for s, parts in out.items():
        if set(parts["dev"]) & set(parts["test"]):
            raise LynxError(f"{path}: {s} ids are in both dev and test")
    return out


def subset(queries: Sequence[Q], ids: Iterable[str]) -> list[Q]:
    """The queries whose id is in `ids`, in file order; an id the file lacks is an error (a stale split)."""
    wanted = set(ids)
    found = [q for q in queries if q.id in wanted]
    missing = wanted - {q.id for q in found}
    if missing:
        raise LynxError(
            f"the dev/test split names {len(missing)} unknown query ids ({sorted(missing)[0]}, ...)"
        )
    return found


def split_queries(
    queries: Sequence[Q], parts: dict[str, tuple[str, ...]] | None
) -> dict[str, list[Q]]:
    """{"dev": ..., "test": ...} by the split, or {"all": queries} without one. Every query must be on a side."""
    if parts is None:
        return {"all": list(queries)}
    out = {name: subset(queries, parts[name]) for name in SPLITS}
    if sum(len(v) for v in out.values()) != len(queries):
        raise LynxError("the dev/test split does not cover every query; regenerate split.json")
    return out


__all__ = [
    "DEV_SHARE",
    "SPLITS",
    "SPLIT_FILE",
    "assign",
    "load_split",
    "make_split",
    "split_queries",
    "subset",
]
