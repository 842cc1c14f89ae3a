"""The served model: the shipped checkpoint (sha256-verified on load), its tokenizer, and output grammars.

Loading is separate from construction so the app can answer `/healthz` at once and `/readyz` with 503 until
`load()` has finished. Grammars (a regex or a JSON Schema) are compiled to a `ministruct.TokenMask` once per
distinct grammar and kept in a small LRU: compiling costs tens of milliseconds, a mask session per request
costs nothing.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from lynx_cortex.errors import LynxError
from miniagent.tutor.model import ModelProposer
from minicorpus.framing import BOS
from miniinfer.generate import MaskFn
from miniinfer.prompting import prompt_ids
from minimodel.data import load_tokenizer
from minimodel.mini_gpt import MiniGPT
from minimodel.shipped import load_shipped_model
from ministruct.constrained import token_mask
from ministruct.mask import TokenMask
from minitoken.bpe import BPETokenizer

GRAMMAR_CACHE = 32


class GrammarError(ValueError):
    """The regex or schema cannot be compiled; `field` says which request field held it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ModelHost:
    """The shipped model `name` and what serving it needs; `load()` before use."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sha = ""
        self._model: MiniGPT | None = None
        self._tokenizer: BPETokenizer | None = None
        self._grammars: OrderedDict[str, TokenMask] = OrderedDict()
        self._lock = threading.Lock()

    def load(self) -> None:
        """Verify every shipped file against the manifest's sha256, then load weights and tokenizer."""
        trained = load_shipped_model(self.name)  # LynxError on a missing or altered file
        self._tokenizer = load_tokenizer()
        self.sha = ModelProposer(self.name).sha
        self._model = trained.model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def model(self) -> MiniGPT:
        if self._model is None:
            raise RuntimeError("the model is not loaded yet")
        return self._model

    @property
    def tokenizer(self) -> BPETokenizer:
        if self._tokenizer is None:
            raise RuntimeError("the tokenizer is not loaded yet")
        return self._tokenizer

    @property
    def context_len(self) -> int:
        return int(self.model.cfg.context_len)

    @property
    def stop_id(self) -> int:
        """`<|endoftext|>`: it ends every training row, so generation stops there."""
        return self.tokenizer.encode(BOS, allowed_special={BOS})[0]

    def encode(self, prompt: str, *, framed: bool) -> list[int]:
        """A prompt's ids: the tutor's frame, or `<|endoftext|>` then the text (no specials from the text)."""
        if framed:
            return prompt_ids(self.tokenizer, prompt)
        return [self.stop_id, *self.tokenizer.encode(prompt)]

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids)

    def mask(self, regex: str | None, schema: Mapping[str, Any] | None) -> MaskFn | None:
        """A fresh mask session for the grammar, or None without one (`GrammarError` if it does not compile)."""
        if regex is None and schema is None:
            return None
        field, grammar = ("regex", regex) if regex is not None else ("json_schema", schema)
        key = field + ":" + (regex if regex is not None else json.dumps(schema, sort_keys=True))
        with self._lock:
            mask = self._grammars.get(key)
            if mask is not None:
                self._grammars.move_to_end(key)
        if mask is None:
            try:
                mask = token_mask(
                    grammar if isinstance(grammar, str) else dict(grammar or {}), self.tokenizer
                )
            except (LynxError, ValueError, RecursionError) as exc:
                raise GrammarError(field, str(exc)) from None
            with self._lock:
                self._grammars[key] = mask
                while len(self._grammars) > GRAMMAR_CACHE:
                    self._grammars.popitem(last=False)
        return mask.session()


__all__ = ["GrammarError", "ModelHost"]
