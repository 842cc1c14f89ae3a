"""Phase 18: from token-id sequences to padded `(B, T)` batches with next-token targets and loss masks.

A sequence `s` of length L becomes the input `s[:-1]` and the target `s[1:]`: position t predicts token t + 1.
Batches are padded to their longest member with id 0 (never to the context length, so a batch of short rows
costs what it holds), and the loss mask is False on every padded target, so padding neither adds loss nor
dilutes the token mean. With `prompt_lens` the mask is also False on the source side of each row (its first
`prompt_len - 1` targets): a tutor is trained to produce corrections, not to predict its learners' mistakes.
Shuffling draws from an explicit `np.random.Generator`; the permutation of the current
epoch, the position inside it and the generator's state are the batcher's whole state, which a checkpoint saves
so that a resumed run reads exactly the batches the uninterrupted one would have read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

PAD_ID = 0

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Batch:
    """One padded batch; `rows` are the dataset indices it holds (for per-class losses and spike post-mortems)."""

    inputs: IntArray  # (B, T)
    targets: IntArray  # (B, T)
    loss_mask: BoolArray  # (B, T) True where the target is a real token
    pad_mask: BoolArray  # (B, T) True where the input is a real token
    rows: IntArray  # (B,)

    @property
    def n_tokens(self) -> int:
        return int(self.loss_mask.sum())


def make_batch(
    sequences: Sequence[Sequence[int]],
    rows: Sequence[int],
    *,
    context_len: int,
    prompt_lens: Sequence[int] | None = None,
) -> Batch:
    """Pad `sequences[rows]` into one batch; a row longer than `context_len + 1` keeps its first tokens.

    `prompt_lens[r]` (optional) is the length of row r's source side: only later tokens are targets."""
    if not rows:
        raise ValueError("make_batch needs at least one row")
    clipped = [list(sequences[r])[: context_len + 1] for r in rows]
    for r, seq in zip(rows, clipped, strict=True):
        if len(seq) < 2:
            raise ValueError(
                f"sequence {r} has {len(seq)} token(s); next-token training needs at least 2"
            )
    width = max(len(s) for s in clipped) - 1
    b = len(clipped)
    inputs = np.full((b, width), PAD_ID, dtype=np.int64)  # (B, T)
    targets = np.full((b, width), PAD_ID, dtype=np.int64)  # (B, T)
    mask = np.zeros((b, width), dtype=bool)  # (B, T)
    for i, seq in enumerate(clipped):
        n = len(seq) - 1
        inputs[i, :n] = seq[:-1]
        targets[i, :n] = seq[1:]
        mask[i, :n] = True
    pad_mask = mask.copy()
    if prompt_lens is not None:
        for i, r in enumerate(rows):
            source = prompt_lens[r]
            if not 1 <= source < len(sequences[r]):
                raise ValueError(
                    f"sequence {r}: prompt length {source} must leave 1..{len(sequences[r]) - 1} target tokens"
                )
            mask[i, : source - 1] = False
    return Batch(inputs, targets, mask, pad_mask, np.asarray(rows, dtype=np.int64))


def fixed_batches(
    sequences: Sequence[Sequence[int]],
    *,
    batch_size: int,
    context_len: int,
    prompt_lens: Sequence[int] | None = None,
) -> Iterator[Batch]:
    """Every sequence once, in order: the evaluation pass (no shuffle, no state)."""
    _positive("batch_size", batch_size)
    _same_length(sequences, prompt_lens)
    for start in range(0, len(sequences), batch_size):
        rows = list(range(start, min(start + batch_size, len(sequences))))
        yield make_batch(sequences, rows, context_len=context_len, prompt_lens=prompt_lens)


def _same_length(sequences: Sequence[Sequence[int]], prompt_lens: Sequence[int] | None) -> None:
    if prompt_lens is not None and len(prompt_lens) != len(sequences):
        raise ValueError(f"got {len(prompt_lens)} prompt lengths for {len(sequences)} sequences")


def _positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


class Batcher:
    """An endless stream of shuffled training batches; each epoch is a fresh permutation of the rows.

    The last, short batch of an epoch is dropped only if `drop_last`; otherwise batches have fixed size
    except that one. `state_dict()` is plain JSON (lists and ints, the PCG64 state as big ints).
    """

    def __init__(
        self,
        sequences: Sequence[Sequence[int]],
        *,
        batch_size: int,
        context_len: int,
        rng: np.random.Generator,
        drop_last: bool = False,
        prompt_lens: Sequence[int] | None = None,
    ) -> None:
        _positive("batch_size", batch_size)
        _same_length(sequences, prompt_lens)
        _positive("context_len", context_len)
        if not sequences:
            raise ValueError("Batcher needs at least one sequence")
        if drop_last and batch_size > len(sequences):
            raise ValueError(
                f"batch_size {batch_size} exceeds the {len(sequences)} sequences with drop_last"
            )
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy Generator, got {type(rng).__name__}")
        self.sequences = sequences
        self.prompt_lens = prompt_lens
        self.batch_size = batch_size
        self.context_len = context_len
        self.drop_last = drop_last
        self.rng = rng
        self.epoch = 0
        self.position = 0
        self.order: list[int] = self._permutation()

    def _permutation(self) -> list[int]:
        return [int(i) for i in self.rng.permutation(len(self.sequences))]

    def next_batch(self) -> Batch:
        n = len(self.order)
        remaining = n - self.position
        if remaining <= 0 or (self.drop_last and remaining < self.batch_size):
            self.epoch += 1
            self.position = 0
            self.order = self._permutation()
        rows = self.order[self.position : self.position + self.batch_size]
        self.position += len(rows)
        return make_batch(
            self.sequences, rows, context_len=self.context_len, prompt_lens=self.prompt_lens
        )

    def __iter__(self) -> Iterator[Batch]:
        while True:
            yield self.next_batch()

    def state_dict(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "position": self.position,
            "order": list(self.order),
            "rng": self.rng.bit_generator.state,
            "n_sequences": len(self.sequences),
            "batch_size": self.batch_size,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a saved position; the dataset and batch size must be the ones it was saved with."""
        for key in ("n_sequences", "batch_size"):
            mine = len(self.sequences) if key == "n_sequences" else self.batch_size
            if int(state[key]) != mine:
                raise ValueError(
                    f"batcher state was saved with {key}={state[key]}, this batcher has {mine}"
                )
        order = [int(i) for i in state["order"]]
        if sorted(order) != list(range(len(self.sequences))):
            raise ValueError("batcher state's order is not a permutation of the dataset rows")
        position = int(state["position"])
        if not 0 <= position <= len(order):
            raise ValueError(f"batcher position {position} is outside 0..{len(order)}")
        self.rng.bit_generator.state = dict(state["rng"])
        self.epoch = int(state["epoch"])
        self.position = position
        self.order = order


__all__ = ["PAD_ID", "Batch", "Batcher", "fixed_batches", "make_batch"]
