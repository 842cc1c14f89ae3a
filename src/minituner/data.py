"""Phase 28: the fine-tuning experiment's rows — a learner the base tutor has never met.

The shipped tutor corrects 99.8 % of the frame split's erroneous test sentences, so "fine-tune it on the
irregular verbs" of that split would have nothing left to teach, and the generalisation splits only mean
something for a base trained without them. What the shipped model does fail at is a learner outside its
data: a name it never saw (`Sam`) is rewritten into one it knows (docs/phase-20), so it corrects none of his
sentences exactly. A per-learner adapter is what LoRA is for, so the experiment is:

- **train**: the frame split's *training* sentences about Tom with an irregular verb, renamed to Sam;
- **target**: the frame split's *test* sentences about Tom with an irregular verb, renamed to Sam
  (frames the model never trained on, about a learner it never saw);
- **transfer**: the same for Tom's regular-verb test sentences (no regular verb is in the adapter's data);
- **control**: a seeded sample of the other names' test sentences, untouched, where forgetting would show.

Tom stands in because he is a male name: the Spanish agrees with the subject, and Sam is masculine here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Row = dict[str, Any]
LEARNER = "Sam"
STAND_IN = "Tom"
RENAMED_FIELDS = ("text", "correct_text", "spanish")


def rename(row: Mapping[str, Any], old: str = STAND_IN, new: str = LEARNER) -> Row:
    """The row with the whole word `old` replaced by `new` wherever a sentence mentions it."""
    out = dict(row)
    pattern = re.compile(rf"\b{re.escape(old)}\b")
    for key in RENAMED_FIELDS:
        out[key] = pattern.sub(new, str(row[key]))
    out["subject"] = new if row.get("subject") == old else row.get("subject")
    return out


def _about(rows: Sequence[Mapping[str, Any]], regularity: str) -> list[Row]:
    return [
        rename(r)
        for r in rows
        if r.get("subject") == STAND_IN and r.get("regularity") == regularity
    ]


@dataclass(frozen=True)
class Experiment:
    """The four row sets of the module docstring."""

    train: list[Row]
    target: list[Row]
    transfer: list[Row]
    control: list[Row]

    def sizes(self) -> dict[str, int]:
        return {k: len(getattr(self, k)) for k in ("train", "target", "transfer", "control")}


def build_experiment(
    split: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    control_size: int = 200,
    limit: int | None = None,
    seed: int = 0,
) -> Experiment:
    """Rows from the frame split's parts (`load_tutor_split(folder, "frames")`); `limit` caps each test set."""
    others = [dict(r) for r in split["test"] if r.get("subject") != STAND_IN]
    order = np.random.default_rng(seed).permutation(len(others))[:control_size]
    return Experiment(
        train=_about(split["train"], "irregular"),
        target=_about(split["test"], "irregular")[:limit],
        transfer=_about(split["test"], "regular")[:limit],
        control=[others[int(i)] for i in order][:limit],
    )


__all__ = ["LEARNER", "STAND_IN", "Experiment", "build_experiment", "rename"]
