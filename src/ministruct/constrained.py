"""Phase 30: constrained generation end to end — a grammar, a tokenizer and a model give output in the language.

`masked_generate` drives `miniinfer.generate` with a `MaskSession` and the grammar's stop token, then checks
what it got: the output must have ended with the stop token (so the DFA was in an accepting state), otherwise
the token budget ran out mid-sentence and the caller gets an error, never a truncated JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lynx_cortex.errors import LynxError
from miniinfer.generate import LanguageModel, generate
from miniinfer.sampling import Strategy
from ministruct.dfa import DFA, compile_regex
from ministruct.mask import HasTokenBytes, TokenMask, Vocabulary
from ministruct.schema import compile_schema


@dataclass(frozen=True)
class Output:
    text: str  # the generated text without the stop token
    ids: list[int]  # the generated ids, the stop token last


def token_mask(grammar: str | Mapping[str, Any] | DFA, tokenizer: HasTokenBytes) -> TokenMask:
    """A regex (str), a JSON Schema (mapping) or a DFA, masked over `tokenizer`'s vocabulary."""
    if isinstance(grammar, DFA):
        dfa = grammar
    elif isinstance(grammar, str):
        dfa = compile_regex(grammar)
    else:
        dfa = compile_schema(grammar)
    return TokenMask(dfa, Vocabulary.from_tokenizer(tokenizer))


def decode_bytes(vocab: Vocabulary, ids: Sequence[int]) -> str:
    """The text of `ids` (specials contribute nothing); the grammar guarantees it is whole UTF-8."""
    return b"".join(vocab.tokens[i] or b"" for i in ids).decode("utf-8")


def masked_generate(
    model: LanguageModel,
    mask: TokenMask,
    prompt_ids: Sequence[int],
    *,
    strategy: Strategy,
    seed: int,
    max_new_tokens: int = 160,
) -> Output:
    """Generate under `mask` until its stop token; a budget that runs out first is a `LynxError`."""
    stop = mask.vocab.stop_id
    ids = generate(
        model,
        prompt_ids,
        max_new_tokens=max_new_tokens,
        strategy=strategy,
        seed=seed,
        stop_ids=[stop],
        mask=mask.session(),
    )
    if not ids or ids[-1] != stop:
        raise LynxError(
            f"the output was not complete after {max_new_tokens} tokens; raise the token budget"
        )
    return Output(text=decode_bytes(mask.vocab, ids[:-1]), ids=ids)


__all__ = ["Output", "decode_bytes", "masked_generate", "token_mask"]
