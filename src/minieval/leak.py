"""Phase 20: the leak check — no probe sentence may be a sentence the model trained or was selected on.

A probe the model has seen measures memory, not grammar (phase 20's break shows accuracy jumping when the
"test" is the training set). The sentences a probe is about — the shown sentence and the blank filled with each
acceptable form (a distractor that happens to be a training sentence is not a leak of the answer) — are
normalised (Unicode NFC, case-folded, punctuation dropped, whitespace collapsed) and hashed
with SHA-256; so is every English and Spanish text of the train and val splits (`text`, `correct_form` and
`spanish`: the framing trains on all three). Any shared hash is a leak and `assert_no_leak` raises, naming
the probes.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from lynx_cortex.jsonl import iter_jsonl
from minieval.probes import Probe

SPLITS_CHECKED = ("train", "val")
_TEXT_FIELDS = ("text", "correct_form", "spanish")
_PUNCT = re.compile(r"[^\w\s']", flags=re.UNICODE)
_SPACE = re.compile(r"\s+")


class LeakError(ValueError):
    """Probes whose sentences occur in the training or validation data."""


def normalize(text: str) -> str:
    """Case, punctuation and spacing never make a sentence new: fold them away before hashing."""
    folded = unicodedata.normalize("NFC", text).casefold()
    return _SPACE.sub(" ", _PUNCT.sub(" ", folded)).strip()


def text_hash(text: str) -> str:
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


def split_hashes(processed_dir: Path, splits: Sequence[str] = SPLITS_CHECKED) -> dict[str, str]:
    """hash -> "split:row id" for every text field of every row of the named splits."""
    hashes: dict[str, str] = {}
    for split in splits:
        path = processed_dir / f"{split}.jsonl"
        if not path.is_file():
            raise LeakError(
                f"cannot run the leak check: {path} does not exist (build the corpus first)"
            )
        for n, row in iter_jsonl(path):
            for key in _TEXT_FIELDS:
                value = row.get(key)
                if isinstance(value, str) and value:
                    hashes.setdefault(text_hash(value), f"{split}:{row.get('id', n)}")
    return hashes


def find_leaks(probes: Iterable[Probe], hashes: dict[str, str]) -> list[str]:
    """One line per leaked probe sentence: which probe, which filled form, which corpus row."""
    leaks = []
    for probe in probes:
        for form in dict.fromkeys((*probe.acceptable, probe.given)):
            where = hashes.get(text_hash(probe.fill(form)))
            if where is not None:
                leaks.append(f"{probe.id}: {probe.fill(form)!r} occurs in {where}")
    return leaks


def assert_no_leak(probes: Iterable[Probe], processed_dir: Path) -> None:
    """Raise LeakError listing every leaked probe sentence; the harness refuses to score a leaked set."""
    leaks = find_leaks(probes, split_hashes(processed_dir))
    if leaks:
        raise LeakError(
            f"{len(leaks)} probe sentence(s) occur in train/val — the eval would measure memory:\n  "
            + "\n  ".join(leaks)
        )


__all__ = ["LeakError", "assert_no_leak", "find_leaks", "normalize", "split_hashes", "text_hash"]
