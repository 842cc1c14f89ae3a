"""The §A13 domain as the layers below `minicorpus` see it: read from the exported truth table.

`minicorpus.verb_table` is the one source of the verbs, tenses and persons. `minigrad`, `minitoken` and the core
labs may not import `minicorpus` (DESIGN.md §1), so they read `data/conjugation_table.json`, which
`lynx corpus export-table` writes from that table and a test keeps identical to it. No layer keeps a hand-typed
copy of the list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lynx_cortex.errors import LynxError
from lynx_cortex.paths import data_dir

TABLE_FILE = "conjugation_table.json"


@dataclass(frozen=True)
class Domain:
    verbs: tuple[str, ...]  # English lemmas, alphabetical (the export sorts its keys)
    irregular: frozenset[str]  # the lemmas whose English forms are irregular
    tenses: tuple[str, ...]
    persons: tuple[str, ...]


@cache
def _load(path: Path) -> Domain:
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
        verbs = table["verbs"]
        return Domain(
            verbs=tuple(verbs),
            irregular=frozenset(
                v for v, entry in verbs.items() if entry["english_regularity"] == "irregular"
            ),
            tenses=tuple(table["tenses"]),
            persons=tuple(table["persons"]),
        )
    except (OSError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise LynxError(
            f"{path}: cannot read the truth table ({exc}); run `lynx corpus export-table`"
        ) from exc


def domain(data: Path | None = None) -> Domain:
    """The verbs, tenses and persons of `<data>/conjugation_table.json` (default: the project's `data/`)."""
    return _load((data if data is not None else data_dir()) / TABLE_FILE)


__all__ = ["TABLE_FILE", "Domain", "domain"]
