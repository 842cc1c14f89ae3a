"""The model's side of the tutor: the shipped grammar model, prompted with the framing it was trained on.

`lynx sample` shows the same call for one sentence; here the model is loaded once, its weights' sha256 is
kept for the `model_sha` field (the manifest's entry, checked before loading), and the prompt is decoded
greedily in the batched decoder so a cold tutor and a warm one give the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from lynx_cortex.artifacts import MANIFEST, artifacts_dir
from minicorpus.framing import BOS, parse_answer
from miniinfer.batched import greedy_batch
from miniinfer.prompting import prompt_ids
from minimodel.data import load_tokenizer
from minimodel.infer import as_fast
from minimodel.shipped import CHECKPOINTS, load_shipped_model
from minimodel.weights import MODEL_FILE

SHIPPED: Final = "grammar"
MAX_NEW: Final = 96  # the longest answer in the tutor set is well under this


@dataclass(frozen=True)
class Proposal:
    """What the model wrote after the prompt; a field is None when the answer stopped before it."""

    correction: str | None
    error_code: str | None
    spanish: str | None


class ModelProposer:
    """The shipped model behind one method, `propose(sentences)`, loaded on first use."""

    def __init__(self, name: str = SHIPPED) -> None:
        self.name = name
        self._model: Any = None
        self._tokenizer: Any = None
        self._sha = ""

    @property
    def sha(self) -> str:
        """The weights' sha256 as the manifest records it (what loading checks the file against)."""
        if not self._sha:
            manifest = json.loads((artifacts_dir() / MANIFEST).read_text(encoding="utf-8"))
            self._sha = str(manifest["files"][f"{CHECKPOINTS}/{self.name}/{MODEL_FILE}"])
        return self._sha

    def _load(self) -> None:
        if self._model is None:
            self._model = as_fast(load_shipped_model(self.name).model)  # sha256-checked
            self._tokenizer = load_tokenizer()

    def propose(self, sentences: list[str]) -> list[Proposal]:
        """The model's (correction, error code, Spanish) for each sentence, greedy."""
        self._load()
        tok = self._tokenizer
        room = int(self._model.config.context_len)
        prompts = [prompt_ids(tok, s)[: room - 1] for s in sentences]
        stop = tok.encode(BOS, allowed_special={BOS})[0]
        budget = max(0, min(MAX_NEW, room - max(len(p) for p in prompts)))
        outs = greedy_batch(self._model, prompts, budget, stop)
        answers = [parse_answer(tok.decode(ids)) for ids in outs]
        return [Proposal(a.correction, a.error_code, a.spanish) for a in answers]


__all__ = ["MAX_NEW", "ModelProposer", "Proposal", "SHIPPED"]
