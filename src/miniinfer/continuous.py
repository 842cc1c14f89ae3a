"""Phase 33: iteration-level (continuous) batching — sequences join and leave the batch at every decode step.

`generate` decodes one sequence; `greedy_batch` decodes a fixed group that started together. A server sees
requests arrive while others are half-way through, and wants to run one decode step for *all* of them. The
`ContinuousBatcher` holds up to `slots` sequences in a `minimodel.slots.SlotMiniGPT`:

- `admit(request)` prefills the prompt into a free slot (one prompt per call) and keeps its last logits;
- `step()` draws every live sequence's next token from its pending logits (mask → strategy, as `generate`
  does, with the sequence's own generator seeded from its request), retires the sequences that stopped or
  reached their budget (their slots free up at once), and runs one batched decode for the rest.

A sequence therefore gets exactly the tokens `generate(model, prompt, strategy=..., seed=..., stop_ids=...,
mask=...)` gives it alone, whatever else shares the batch and whenever it arrived: the same prefill, the same
logits to float rounding (the tests check token equality), the same draws from the same generator. The one
restriction: prompt + budget must fit the window (`fits`), because a slot cannot be cropped mid-flight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from miniinfer.generate import MaskFn, apply_mask
from miniinfer.sampling import Strategy
from minimodel.mini_gpt import MiniGPT
from minimodel.slots import SlotMiniGPT


@dataclass
class DecodeRequest:
    """One sequence to decode: what `generate` takes, minus the model."""

    prompt: Sequence[int]
    max_new_tokens: int
    strategy: Strategy
    seed: int = 0
    stop_ids: frozenset[int] = frozenset()
    mask: MaskFn | None = None


@dataclass(frozen=True)
class StepEvent:
    """One token of one sequence; `done` is set on its last token (or with `token=None` for a 0 budget)."""

    handle: int
    token: int | None
    done: bool


@dataclass
class _Live:
    request: DecodeRequest
    slot: int
    rng: np.random.Generator
    logits: np.ndarray  # (V,) the pending logits for the next draw
    generated: list[int] = field(default_factory=list)


def fits(prompt_len: int, max_new_tokens: int, context_len: int) -> bool:
    """Whether a prompt and its budget fit one slot: every fed token (prompt + all but the last new one)."""
    return prompt_len >= 1 and prompt_len + max(max_new_tokens, 1) - 1 <= context_len


class ContinuousBatcher:
    """Up to `slots` sequences decoded together, joining and leaving at every step; see the module docstring."""

    def __init__(self, model: MiniGPT, slots: int) -> None:
        self.runner = SlotMiniGPT(model, slots)
        self.context_len = int(self.runner.capacity)
        self._free = list(range(slots - 1, -1, -1))
        self._live: dict[int, _Live] = {}
        self._finished: list[
            int
        ] = []  # admitted with a zero budget: reported done at the next step
        self._next = 0

    @property
    def free_slots(self) -> int:
        return len(self._free)

    @property
    def live(self) -> int:
        return len(self._live) + len(self._finished)

    def admit(self, request: DecodeRequest) -> int:
        """Prefill `request` into a free slot; returns its handle (events carry it)."""
        prompt = [int(t) for t in request.prompt]
        if not fits(len(prompt), request.max_new_tokens, self.context_len):
            raise ValueError(
                f"prompt of {len(prompt)} tokens + {request.max_new_tokens} new tokens does not fit "
                f"the window of {self.context_len}"
            )
        if not self._free:
            raise RuntimeError("no free slot: admit only while free_slots > 0")
        handle = self._next
        self._next += 1
        if request.max_new_tokens <= 0:
            self._finished.append(handle)
            return handle
        slot = self._free.pop()
        logits = self.runner.prefill_slot(slot, np.asarray(prompt, dtype=np.int64))  # (V,)
        self._live[handle] = _Live(request, slot, np.random.default_rng(request.seed), logits)
        return handle

    def cancel(self, handle: int) -> None:
        """Drop a sequence (its client went away); its slot is free for the next admission."""
        live = self._live.pop(handle, None)
        if live is not None:
            self._retire(live)
        if handle in self._finished:
            self._finished.remove(handle)

    def _retire(self, live: _Live) -> None:
        self.runner.release(live.slot)
        self._free.append(live.slot)

    def step(self) -> list[StepEvent]:
        """One token for every live sequence (one batched decode for those that go on)."""
        events = [StepEvent(h, None, True) for h in self._finished]
        self._finished = []
        going: list[tuple[int, _Live, int]] = []
        for handle, live in list(self._live.items()):
            request = live.request
            logits = live.logits
            if request.mask is not None:
                logits = apply_mask(request.mask, len(live.generated), live.generated, logits)
            token = int(request.strategy(logits, live.rng))
            if not 0 <= token < logits.shape[0]:
                raise ValueError(f"strategy returned id {token} outside the vocabulary")
            live.generated.append(token)
            done = token in request.stop_ids or len(live.generated) >= request.max_new_tokens
            events.append(StepEvent(handle, token, done))
            if done:
                del self._live[handle]
                self._retire(live)
            else:
                going.append((handle, live, token))
        if going:
            slots = np.array([live.slot for _, live, _ in going], dtype=np.intp)  # (B,)
            ids = np.array([token for _, _, token in going], dtype=np.int64)  # (B,)
            logits = self.runner.decode_slots(slots, ids)  # (B, V)
            for (_, live, _), row in zip(going, logits, strict=True):
                live.logits = row
        return events


__all__ = ["ContinuousBatcher", "DecodeRequest", "StepEvent", "fits"]
