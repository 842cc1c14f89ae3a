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
from lynx_cortex.errors import LynxError
from minicorpus.framing import BOS, SEP, parse_answer
from minicorpus.mis_conjugate import MIS_CONJUGATION_TYPES
from miniinfer.batched import greedy_batch
from miniinfer.prompting import prompt_ids
from miniinfer.sampling import Greedy
from minimodel.data import load_tokenizer
from minimodel.infer import as_fast
from minimodel.shipped import CHECKPOINTS, load_shipped_model
from minimodel.weights import MODEL_FILE
from ministruct.constrained import masked_generate
from ministruct.dfa import compile_regex
from ministruct.mask import TokenMask, Vocabulary
from ministruct.regex import escape

SHIPPED: Final = "grammar"
MAX_NEW: Final = 96  # the longest answer in the tutor set is well under this


def answer_budget(prompt_len: int) -> int:
    """Tokens an answer may take: the correction is about as long as the sentence and the Spanish a little
    longer, so three sentence-lengths and change; a model that rambles past it is cut, not waited for."""
    return min(MAX_NEW, 3 * prompt_len + 8)


FIELD_BYTE: Final = (
    "\x1e"  # what `<|sep|>` spells inside the mask's regex (no sentence contains it)
)


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
        self._vocab: Vocabulary | None = None

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

    def _vocabulary(self) -> Vocabulary:
        """The tokenizer's vocabulary with `<|sep|>` given a byte, so a regex can place the field breaks."""
        if self._vocab is None:
            base = Vocabulary.from_tokenizer(self._tokenizer)
            tokens = list(base.tokens)
            tokens[self._tokenizer.encode(SEP, allowed_special={SEP})[0]] = FIELD_BYTE.encode()
            self._vocab = Vocabulary(tuple(tokens), base.stop_id)
        return self._vocab

    def propose_among(self, sentence: str, candidates: tuple[str, ...]) -> Proposal | None:
        """The model's answer when its correction may only be one of `candidates` (DESIGN §9's mask) and its
        code one of the taxonomy's; the Spanish is free. None if the answer outgrew the token budget."""
        self._load()
        pattern = (
            "(" + "|".join(escape(c) for c in sorted(set(candidates))) + ")"
            f"{FIELD_BYTE}(" + "|".join(("none", *MIS_CONJUGATION_TYPES)) + ")"
            f"{FIELD_BYTE}[^{FIELD_BYTE}]*"
        )
        mask = TokenMask(compile_regex(pattern), self._vocabulary())
        ids = prompt_ids(self._tokenizer, sentence)
        room = int(self._model.config.context_len) - len(ids)
        if room < 8:
            return None
        try:
            out = masked_generate(
                self._model,
                mask,
                ids,
                strategy=Greedy(),
                seed=0,
                max_new_tokens=min(answer_budget(len(ids)), room),
            )
        except LynxError:
            return None
        correction, code, spanish = (out.text.split(FIELD_BYTE) + ["", "", ""])[:3]
        return Proposal(correction, code, spanish or None)

    def propose(self, sentences: list[str]) -> list[Proposal]:
        """The model's (correction, error code, Spanish) for each sentence, greedy."""
        self._load()
        tok = self._tokenizer
        room = int(self._model.config.context_len)
        prompts = [prompt_ids(tok, s)[: room - 1] for s in sentences]
        stop = tok.encode(BOS, allowed_special={BOS})[0]
        longest = max(len(p) for p in prompts)
        budget = max(0, min(answer_budget(longest), room - longest))
        outs = greedy_batch(self._model, prompts, budget, stop)
        answers = [parse_answer(tok.decode(ids)) for ids in outs]
        return [Proposal(a.correction, a.error_code, a.spanish) for a in answers]


__all__ = ["MAX_NEW", "ModelProposer", "Proposal", "SHIPPED"]
