"""Splitting by (verb, tense): every row of a key — its persons and its wrong forms — lands in one split.

Splitting rows at random would put `I worked` in train and `he worked` in test: the test would measure recall
of a string the model has all but seen. Grouping by (verb, tense) closes the three leakage channels at once
(duplicates, person variants, wrong/correct pairs). The `heldout-verbs` split goes further and keeps four
whole verbs (two regular, two irregular) out of training, to ask whether a model generalises a rule.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from minicorpus.rows import Row
from minicorpus.verb_table import VERB_TABLE

SPLIT_NAMES: Final[tuple[str, ...]] = ("train", "val", "test")
DEFAULT_RATIOS: Final[tuple[float, float, float]] = (0.8, 0.1, 0.1)
DEFAULT_SPLIT_SEED: Final = 42
SPLIT_GRAIN: Final = "(verb, tense)"
HELDOUT_VERBS: Final[tuple[str, ...]] = ("look", "like", "see", "eat")

Key = tuple[str, str]


@dataclass(frozen=True)
class Split:
    """Rows per split (input order kept) and the split each (verb, tense) key went to."""

    name: str
    rows: Mapping[str, list[Row]]
    assignment: Mapping[Key, str]
    seed: int
    ratios: tuple[float, float, float] | None

    def log(self) -> dict[str, Any]:
        """What `split_log.json` records: enough to rebuild and audit the split."""
        keys = {
            name: sorted(f"{v}:{t}" for (v, t), s in self.assignment.items() if s == name)
            for name in SPLIT_NAMES
        }
        return {
            "split": self.name,
            "grain": SPLIT_GRAIN,
            "seed": self.seed,
            "ratios": list(self.ratios) if self.ratios is not None else None,
            "heldout_verbs": list(HELDOUT_VERBS) if self.name == "heldout-verbs" else None,
            "keys_per_split": {name: len(keys[name]) for name in SPLIT_NAMES},
            "rows_per_split": {name: len(self.rows[name]) for name in SPLIT_NAMES},
            "assignment": keys,
        }


def _key(row: Row) -> Key:
    try:
        return (str(row["verb_lemma"]), str(row["tense"]))
    except KeyError as exc:
        raise ValueError(
            f"row {row.get('id', '?')!r} has no {exc.args[0]!r}; cannot split it"
        ) from exc


def _check_ratios(ratios: Sequence[float]) -> tuple[float, float, float]:
    if len(ratios) != 3 or any(r < 0 for r in ratios) or abs(sum(ratios) - 1.0) > 1e-9:
        raise ValueError(
            f"ratios must be three non-negative numbers summing to 1, got {list(ratios)}"
        )
    return (float(ratios[0]), float(ratios[1]), float(ratios[2]))


def _assemble(
    name: str,
    rows: Sequence[Row],
    assignment: Mapping[Key, str],
    seed: int,
    ratios: tuple[float, float, float] | None,
) -> Split:
    parts: dict[str, list[Row]] = {split: [] for split in SPLIT_NAMES}
    for row in rows:
        parts[assignment[_key(row)]].append(row)
    return Split(name, parts, dict(assignment), seed, ratios)


def stratified_split_by_verb_tense(
    rows: Sequence[Row],
    ratios: Sequence[float] = DEFAULT_RATIOS,
    seed: int = DEFAULT_SPLIT_SEED,
) -> Split:
    """Shuffle the sorted (verb, tense) keys with `random.Random(seed)`; the first int(n·r_train) go to
    train, the next int(n·r_val) to val, the rest to test (so rounding losses land in test)."""
    checked = _check_ratios(ratios)
    buckets: dict[Key, int] = defaultdict(int)
    for row in rows:
        buckets[_key(row)] += 1
    keys = sorted(buckets)
    random.Random(seed).shuffle(keys)
    n_train = int(len(keys) * checked[0])
    n_val = int(len(keys) * checked[1])
    assignment: dict[Key, str] = {}
    for index, key in enumerate(keys):
        assignment[key] = (
            "train" if index < n_train else "val" if index < n_train + n_val else "test"
        )
    return _assemble("default", rows, assignment, seed, checked)


def heldout_verbs_split(
    rows: Sequence[Row],
    heldout: Sequence[str] = HELDOUT_VERBS,
    val_ratio: float = DEFAULT_RATIOS[1],
    seed: int = DEFAULT_SPLIT_SEED,
) -> Split:
    """Every row of the held-out verbs is test; of the other keys int(n_all·val_ratio) are val, rest train.

    val is measured against all keys so the val size matches the default split (12 of 120 keys).
    """
    unknown = [verb for verb in heldout if verb not in VERB_TABLE]
    if unknown:
        raise ValueError(f"held-out verb {unknown[0]!r} is not in the verb table")
    if not 0 <= val_ratio < 1:
        raise ValueError(f"val_ratio must be in [0, 1), got {val_ratio}")
    keys = sorted({_key(row) for row in rows})
    rest = [key for key in keys if key[0] not in heldout]
    random.Random(seed).shuffle(rest)
    n_val = int(len(keys) * val_ratio)
    assignment: dict[Key, str] = {key: "test" for key in keys if key[0] in heldout}
    for index, key in enumerate(rest):
        assignment[key] = "val" if index < n_val else "train"
    return _assemble("heldout-verbs", rows, assignment, seed, None)
