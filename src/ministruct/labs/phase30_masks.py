"""Phase 30 labs: a regex mask and the conjugation-schema mask, built stage by stage and used on the shipped model.

- `30-regex-mask`: for a few regexes, the size of each stage (Thompson NFA, subset DFA, Hopcroft-minimal DFA)
  and of the token table; then the seed's lab 00 — 4-digit strings from the grammar model, with the mask (all
  must match) and without it (the control), plus the mean -log Z (the legal mass the mask removes, in nats:
  KL(p_masked ‖ p) = -log Z).
- `30-json-schema-mask`: the conjugation schema compiled (regex size, states, milliseconds), constrained
  generations from held-out sentences, each parsed and validated with jsonschema, with the per-step -log Z and
  how often the model's fields match the sentence's labels (the mask guarantees syntax, not content).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.progress import track
from lynx_cortex.registry import LabContext, lab
from minigrad.tensor import no_grad
from miniinfer.generate import generate
from miniinfer.prompting import prompt_ids
from miniinfer.sampling import Temperature
from minimodel.data import load_tokenizer
from minimodel.shipped import load_shipped_model
from ministruct.dfa import determinise, minimise
from ministruct.labs.common import tally, val_rows
from ministruct.mask import TokenMask, Vocabulary
from ministruct.nfa import thompson
from ministruct.regex import parse
from ministruct.schema import to_regex
from ministruct.schemas import conjugation_schema

REGEXES = {
    "4 digits": "[0-9]{4}",
    "zip+4": "[0-9]{5}(-[0-9]{4})?",
    "date": "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])",
    "textbook (a|b)*abb": "(a|b)*abb",
    "tense word": "(present|past)_(simple|participle)|future_(will|going_to)",
}


def neg_log_z(model: Any, mask: TokenMask, prompt: list[int], ids: list[int]) -> list[float]:
    """-log Z at each step of a masked generation: Z is the probability the unmasked model gave the legal set.

    One teacher-forced forward over prompt + output gives every step's raw logits (KL(p_masked || p) = -log Z).
    """
    seq = (prompt + ids)[-model.config.context_len :]
    if len(seq) < len(prompt) + len(ids):
        return []  # longer than the window: the logits would not be the ones generation saw
    with no_grad():
        logits = np.asarray(getattr(model(np.array([seq])), "data", None))[0]  # (T, V)
    out, state = [], mask.start
    for i, token in enumerate(ids):
        z = logits[len(prompt) - 1 + i]  # (V,) the logits that chose ids[i]
        p = np.exp(z - z.max())
        p /= p.sum()
        out.append(float(-np.log(max(float(p[mask.allowed(state)].sum()), 1e-300))))
        state = mask.advance(state, token)
    return out


def stages(pattern: str, vocab: Vocabulary) -> dict[str, Any]:
    t0 = time.perf_counter()
    nfa = thompson(parse(pattern))
    raw = determinise(nfa)
    small = minimise(raw)
    t1 = time.perf_counter()
    mask = TokenMask(small, vocab)
    t2 = time.perf_counter()
    live = np.flatnonzero(mask.live)
    return {
        "nfa_states": nfa.n_states,
        "dfa_states": raw.n_states,
        "minimal_states": small.n_states,
        "byte_classes": int(small.table.shape[1]),
        "compile_ms": (t1 - t0) * 1e3,
        "mask_table_ms": (t2 - t1) * 1e3,
        "mean_allowed_tokens_per_live_state": float(mask.allowed_table[live].sum(axis=1).mean()),
    }


def _sample(
    model: Any, mask: TokenMask, prompts: list[list[int]], seed: int, *, masked: bool, max_new: int
) -> tuple[list[str], list[float]]:
    """Temperature-1 samples, one per prompt, with or without the mask; -log Z per step for masked ones."""
    texts: list[str] = []
    log_z: list[float] = []
    stop = mask.vocab.stop_id
    for i, ids in enumerate(track(prompts, desc="masked" if masked else "free")):
        out = generate(
            model,
            ids,
            max_new_tokens=max_new,
            strategy=Temperature(1.0),
            seed=seed + i,
            stop_ids=[stop],
            mask=mask.session() if masked else None,
        )
        body = out[:-1] if out and out[-1] == stop else out
        texts.append(_text(mask.vocab, body))
        if masked:
            log_z += neg_log_z(model, mask, ids, out)
    return texts, log_z


def _text(vocab: Vocabulary, ids: list[int]) -> str:
    """Free output may hold specials (written as U+FFFD here) and broken UTF-8; masked output never does."""
    return b"".join(vocab.tokens[i] or b"\xff" for i in ids).decode("utf-8", "replace")


@lab("30-regex-mask", title="Regex → NFA → DFA → minimal DFA → token mask, and 4-digit outputs")
def regex_mask(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, {"smoke": {"samples": 10}, "default": {"samples": 100}})
    tokenizer = load_tokenizer()
    vocab = Vocabulary.from_tokenizer(tokenizer)
    table = {name: stages(p, vocab) for name, p in REGEXES.items()}
    model = load_shipped_model("grammar").model
    mask = TokenMask(minimise(determinise(thompson(parse(REGEXES["4 digits"])))), vocab)
    prompts = [prompt_ids(tokenizer, r["text"]) for r in val_rows(int(cfg["samples"]))]
    masked, log_z = _sample(model, mask, prompts, ctx.seed, masked=True, max_new=8)
    free, _ = _sample(model, mask, prompts, ctx.seed, masked=False, max_new=8)
    match = [bool(re.fullmatch("[0-9]{4}", t)) for t in masked]
    fig, ax = figure()
    names = list(table)
    x = np.arange(len(names))
    for k, (key, label) in enumerate(
        (
            ("nfa_states", "Thompson NFA"),
            ("dfa_states", "subset DFA"),
            ("minimal_states", "minimal DFA"),
        )
    ):
        ax.bar(x + (k - 1) * 0.27, [table[n][key] for n in names], 0.27, label=label)
    ax.set(ylabel="states", yscale="log")
    ax.set_xticks(x, names, rotation=15, fontsize=8)
    ax.legend(fontsize=8)
    save_png(fig, ctx.path("regex_stages.png"), title="States at each stage of the regex compiler")
    return {
        "stages": table,
        "n_samples": len(masked),
        "all_match_regex": all(match),
        "masked_examples": masked[:5],
        "free_match_rate": float(np.mean([bool(re.fullmatch("[0-9]{4}", t)) for t in free])),
        "free_examples": free[:5],
        "mean_neg_log_z_nats": float(np.mean(log_z)) if log_z else 0.0,
    }


@lab(
    "30-json-schema-mask",
    title="The conjugation schema as a token mask: compile, generate, validate",
)
def json_schema_mask(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, {"smoke": {"samples": 10}, "default": {"samples": 200}})
    tokenizer = load_tokenizer()
    vocab = Vocabulary.from_tokenizer(tokenizer)
    schema = conjugation_schema()
    pattern = to_regex(schema)
    info = stages(pattern, vocab)
    mask = TokenMask(minimise(determinise(thompson(parse(pattern)))), vocab)
    rows = val_rows(int(cfg["samples"]))
    model = load_shipped_model("grammar").model
    prompts = [prompt_ids(tokenizer, r["text"]) for r in rows]
    texts, log_z = _sample(model, mask, prompts, ctx.seed, masked=True, max_new=160)
    counts = tally(texts, schema)
    values = [json.loads(t) for t in texts if t]
    hits = {
        field: float(np.mean([v[field] == r[key] for v, r in zip(values, rows, strict=True)]))
        for field, key in (("verb", "verb_lemma"), ("tense", "tense"), ("person", "person"))
    }
    sizes = mask.allowed_table[np.flatnonzero(mask.live)].sum(axis=1)  # (live states,)
    fig, ax = figure()
    ax.hist(sizes, bins=40, color="tab:blue")
    ax.set(xlabel="allowed tokens in a state", ylabel="DFA states", yscale="log")
    save_png(fig, ctx.path("allowed_per_state.png"), title="Most states allow a handful of tokens")
    return {
        "regex_chars": len(pattern),
        **info,
        "n_samples": counts["n"],
        "n_parsed_ok": counts["n"] - counts["not_json"],
        "n_schema_valid": counts["valid"],
        "kl_per_step_avg": float(np.mean(log_z)) if log_z else 0.0,
        "field_match_rate": hits,
        "chance_rate": {"verb": 1 / 20, "tense": 1 / 6, "person": 1 / 4},
        "examples": texts[:5],
    }


__all__ = ["REGEXES", "json_schema_mask", "neg_log_z", "regex_mask", "stages"]
