"""Splits of the tutor set: `frames` (the shipped model's), and `keys`/`heldout-verbs` (experiments).

The unit of the main split is the frame instance: a correct sentence and all its error variants move
together, so a test sentence's correction was never a training target. The held-out frames are unseen
*combinations* of familiar parts. Every word (English and Spanish), subject, complement, adverb, (verb,
complement) pair and (verb, tense, person) cell of val and test also occurs in training: the Spanish of a
word the model never saw cannot be learned from this set, so a test of it would measure nothing but luck.

Frames are drawn per cell (about 8 % to val and 8 % to test of each cell, rounded cumulatively over the
cells so the totals land on target), then any held-out frame carrying a part that training lacks is moved
to training. One pass is enough: moving a frame only adds parts to training.

`keys` and `heldout-verbs` reuse the v1 corpus's (verb, tense) assignments; they ask whether the model
generalises to unseen keys or verbs, are reported separately, and never choose the shipped checkpoint.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Final

from minicorpus.rows import Row
from minicorpus.split import SPLIT_NAMES

FRAME_SPLIT: Final = "frames"
GENERALISATION_SPLITS: Final[tuple[str, ...]] = ("keys", "heldout-verbs")
HELDOUT_RATIOS: Final[tuple[float, float]] = (0.08, 0.08)

Atom = tuple[str, ...]


def words(sentence: str) -> list[str]:
    """The words of a sentence as the check sees them: split on spaces, final full stop dropped."""
    return sentence.removesuffix(".").split(" ")


@functools.lru_cache(maxsize=1 << 17)
def _sentence_atoms(field: str, sentence: str) -> frozenset[Atom]:
    """The word atoms of one sentence (cached: a frame's rows share their correction and Spanish)."""
    return frozenset(("word", field, w) for w in words(sentence))


def atoms(row: Row) -> set[Atom]:
    """Every part of a row that must have been seen in training for it to be a fair test."""
    verb, complement = str(row.get("verb_lemma")), str(row.get("complement"))
    found: set[Atom] = {
        ("subject", str(row.get("subject"))),
        ("complement", complement),
        ("adverb", str(row.get("adverb"))),
        ("verb+complement", verb, complement),
        ("cell", verb, str(row.get("tense")), str(row.get("person"))),
    }
    for field in ("text", "correct_text", "spanish"):
        found |= _sentence_atoms(field, str(row.get(field)))
    return found


def _atoms_of(rows: Iterable[Row]) -> set[Atom]:
    seen: set[Atom] = set()
    for row in rows:
        seen |= atoms(row)
    return seen


def _cell(row: Row) -> tuple[str, str, str]:
    return (str(row["verb_lemma"]), str(row["tense"]), str(row["person"]))


def split_frames(
    rows: Sequence[Row],
    seed: int,
    *,
    pinned: Collection[str] = (),
    ratios: tuple[float, float] = HELDOUT_RATIOS,
) -> dict[str, str]:
    """Assign every frame (named by its correct sentence) to train, val or test; `pinned` stay in train."""
    by_cell: dict[tuple[str, str, str], set[str]] = {}
    for row in rows:
        by_cell.setdefault(_cell(row), set()).add(str(row["correct_text"]))
    rng = random.Random(f"tutor-split:{seed}")
    assignment: dict[str, str] = {}
    seen_frames = 0
    for cell in sorted(by_cell):
        frames = sorted(by_cell[cell])
        rng.shuffle(frames)
        candidates = [frame for frame in frames if frame not in pinned]
        start = seen_frames
        seen_frames += len(frames)
        n_val = round(seen_frames * ratios[0]) - round(start * ratios[0])
        n_test = round(seen_frames * ratios[1]) - round(start * ratios[1])
        assignment.update(dict.fromkeys(frames, "train"))
        for index, frame in enumerate(candidates[: n_val + n_test]):
            assignment[frame] = "val" if index < n_val else "test"
    return _repair(rows, assignment)


def _repair(rows: Sequence[Row], assignment: dict[str, str]) -> dict[str, str]:
    """Move to train every held-out frame with a part training has not seen (see the module docstring)."""
    seen = _atoms_of(row for row in rows if assignment[str(row["correct_text"])] == "train")
    held: dict[str, list[Row]] = {}
    for row in rows:
        frame = str(row["correct_text"])
        if assignment[frame] != "train":
            held.setdefault(frame, []).append(row)
    for frame in sorted(held):
        parts = _atoms_of(held[frame])
        if not parts <= seen:
            assignment[frame] = "train"
            seen |= parts
    return assignment


def frame_parts(rows: Sequence[Row], assignment: Mapping[str, str]) -> dict[str, list[Row]]:
    parts: dict[str, list[Row]] = {name: [] for name in SPLIT_NAMES}
    for row in rows:
        parts[assignment[str(row["correct_text"])]].append(row)
    return parts


def key_parts(
    rows: Sequence[Row], key_assignment: Mapping[tuple[str, str], str]
) -> dict[str, list[Row]]:
    """Rows by a v1 (verb, tense) assignment: the `keys` and `heldout-verbs` experiments."""
    parts: dict[str, list[Row]] = {name: [] for name in SPLIT_NAMES}
    for row in rows:
        parts[key_assignment[(str(row["verb_lemma"]), str(row["tense"]))]].append(row)
    return parts


def unseen_atoms(parts: Mapping[str, Sequence[Row]]) -> dict[str, list[Atom]]:
    """For val and test, the parts of their rows that no training row has (empty when the split is fair)."""
    seen = _atoms_of(parts["train"])
    return {name: sorted(_atoms_of(parts[name]) - seen) for name in SPLIT_NAMES if name != "train"}
