"""From a tool's `inputSchema` to a tool call a language model cannot get wrong: the phase-30 mask, applied.

A call is `{"name": <tool>, "arguments": {...}}`. For each tool we wrap its input schema in a call schema whose
`name` is a constant, compile each to ministruct's regex subset, and join the regexes with `|`: one mask over
every tool at once, in one decoding pass. The `name` constant comes first, so the alternative is fixed by the
first bytes the model writes and the rest must fit *that* tool's arguments — what `oneOf` would say, without
needing `oneOf` at decode time.

The mask only enforces what the schema says. Drop `required` and `{"name":"add","arguments":{}}` becomes a
legal, complete call (break 31).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from miniinfer.generate import LanguageModel
from miniinfer.sampling import Strategy
from ministruct.constrained import masked_generate
from ministruct.dfa import DFA, compile_regex
from ministruct.mask import HasTokenBytes, TokenMask, Vocabulary
from ministruct.schema import SchemaError, to_regex

PRINTABLE = range(0x20, 0x7F)  # example instances stay ASCII, so every prefix is whole UTF-8


def call_schema(name: str, input_schema: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one call to tool `name`."""
    return {
        "type": "object",
        "properties": {"name": {"const": name}, "arguments": dict(input_schema)},
        "required": ["name", "arguments"],
        "additionalProperties": False,
    }


def without_required(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Break 31's edit: the same schema with every `required` list removed (still a valid JSON Schema)."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "required":
            continue
        if key == "properties" and isinstance(value, Mapping):
            out[key] = {k: without_required(v) for k, v in value.items()}
        elif isinstance(value, Mapping):
            out[key] = without_required(value)
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class CallGrammar:
    regex: str
    dfa: DFA
    tools: tuple[str, ...]  # the tools the grammar covers
    skipped: dict[str, str]  # tool -> why its schema is outside the mask's subset


def call_grammar(tools: Iterable[Mapping[str, Any]]) -> CallGrammar:
    """One DFA for a call to any of `tools` (MCP descriptors: name, inputSchema); unmaskable tools are skipped."""
    parts: list[str] = []
    names: list[str] = []
    skipped: dict[str, str] = {}
    for tool in tools:
        name = str(tool["name"])
        try:
            parts.append(to_regex(call_schema(name, tool["inputSchema"])))
        except SchemaError as exc:
            skipped[name] = str(exc)
            continue
        names.append(name)
    if not parts:
        raise SchemaError(f"no tool schema fits the mask's subset: {skipped}")
    regex = "(?:" + "|".join(parts) + ")"
    return CallGrammar(regex, compile_regex(regex), tuple(names), skipped)


@dataclass(frozen=True)
class GeneratedCall:
    text: str  # exactly what the model wrote
    name: str
    arguments: dict[str, Any]


def generate_call(
    model: LanguageModel,
    mask: TokenMask,
    prompt_ids: list[int],
    *,
    strategy: Strategy,
    seed: int,
    max_new_tokens: int = 96,
) -> GeneratedCall:
    """Decode one call under `mask`; it parses by construction (a `json.loads` failure would be a mask bug)."""
    out = masked_generate(
        model, mask, prompt_ids, strategy=strategy, seed=seed, max_new_tokens=max_new_tokens
    )
    call = json.loads(out.text)
    return GeneratedCall(out.text, call["name"], call["arguments"])


def call_mask(grammar: CallGrammar, tokenizer: HasTokenBytes) -> TokenMask:
    return TokenMask(grammar.dfa, Vocabulary.from_tokenizer(tokenizer))


def example_instance(schema: Mapping[str, Any]) -> Any:
    """The shortest canonical ASCII instance of `schema` (breadth-first over its DFA), or None if none exists.

    Handy to show a tool working without a model; `SchemaError` when the schema is outside the subset.
    """
    dfa = compile_regex(to_regex(schema))
    table = dfa.byte_table  # (S, 256)
    parent: dict[int, tuple[int, int]] = {dfa.start: (-1, -1)}
    queue = deque([dfa.start])
    while queue:
        state = queue.popleft()
        if dfa.accepting[state]:
            data = bytearray()
            while parent[state][0] != -1:
                state, byte = parent[state]
                data.append(byte)
            return json.loads(bytes(reversed(data)).decode("ascii"))
        for byte in PRINTABLE:
            nxt = int(table[state, byte])
            if nxt not in parent and dfa.live[nxt]:
                parent[nxt] = (state, byte)
                queue.append(nxt)
    return None


__all__ = [
    "CallGrammar",
    "GeneratedCall",
    "call_grammar",
    "call_mask",
    "call_schema",
    "example_instance",
    "generate_call",
    "without_required",
]
