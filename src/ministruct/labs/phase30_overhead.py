"""Phase 30 lab `30-mask-overhead`: what a mask costs, against outlines-core (and xgrammar where installed).

Three numbers, each measured side by side in one run on one thread:

- compile time of the conjugation schema: ours (schema → regex → NFA → DFA → minimal DFA, then the token
  table) and outlines-core's `Index` over the same vocabulary, from our canonical regex and from its own
  schema-to-regex (whitespace-flexible, so a larger automaton);
- per-token mask time: replaying the same token sequences, ours (`MaskSession`: advance + row lookup, a bool
  vector) against outlines-core's `Guide` (`advance` + `write_mask_into`, a packed bitmask), and the seed's
  naive mask (walk every token through the DFA at every step) as the baseline precomputation removes;
- a masked decode step of the shipped model against an unmasked one, over the same number of steps from the
  same prompts (the unmasked run is cropped to the masked run's length): the ratio is the mask's share of a
  real decode step.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.progress import track
from lynx_cortex.registry import LabContext, lab
from miniinfer.generate import generate
from miniinfer.prompting import prompt_ids
from miniinfer.sampling import Temperature
from minimodel.data import load_tokenizer
from minimodel.shipped import load_shipped_model
from ministruct.dfa import determinise, minimise
from ministruct.labs.common import val_rows
from ministruct.mask import TokenMask, Vocabulary
from ministruct.nfa import thompson
from ministruct.regex import parse
from ministruct.schema import to_regex
from ministruct.schemas import conjugation_schema


def _median_s(fn: Callable[[], Any], reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _ours_compile(schema: Mapping[str, Any], vocab: Vocabulary) -> TokenMask:
    """Uncached: every stage runs (compile_regex's cache would make a second call free)."""
    return TokenMask(minimise(determinise(thompson(parse(to_regex(schema))))), vocab)


def _outlines(vocab: Vocabulary) -> Any:
    try:
        import outlines_core
    except ImportError:
        return None
    table = {raw: [i] for i, raw in enumerate(vocab.tokens) if raw is not None}
    return outlines_core, outlines_core.Vocabulary(vocab.stop_id, table)


def _xgrammar(vocab: Vocabulary, schema: Mapping[str, Any]) -> dict[str, Any] | None:
    """xgrammar's compile and mask times, when it is installed (it is in no dependency group: see DECISIONS)."""
    try:
        import xgrammar as xgr
    except ImportError:
        return None
    encoded = [raw if raw is not None else b"" for raw in vocab.tokens]
    info = xgr.TokenizerInfo(encoded, stop_token_ids=[vocab.stop_id])
    compiler = xgr.GrammarCompiler(info, max_threads=1, cache_enabled=False)
    t0 = time.perf_counter()
    compiled = compiler.compile_json_schema(json.dumps(schema), any_whitespace=False)
    compile_ms = (time.perf_counter() - t0) * 1e3
    return {"compile_ms": compile_ms, "compiled": compiled, "module": xgr}


def _replay_ours(mask: TokenMask, seqs: Sequence[Sequence[int]]) -> float:
    """Seconds per step of `generate`'s mask call: advance by the last id, return the next step's row."""
    steps, t0 = 0, time.perf_counter()
    for seq in seqs:
        session = mask.session()
        for i in range(len(seq)):
            session(i, seq[:i])  # type: ignore[arg-type]  # a tuple in generate; a list slice here
            steps += 1
    return (time.perf_counter() - t0) / steps


def _replay_outlines(
    oc: Any, index: Any, seqs: Sequence[Sequence[int]], vocab_size: int, stop: int
) -> float:
    words = np.zeros((vocab_size + 31) // 32, dtype=np.int32)
    steps, t0 = 0, time.perf_counter()
    for seq in seqs:
        guide = oc.Guide(index)
        for token in seq:
            guide.write_mask_into(words.ctypes.data, words.size, 4)
            steps += 1
            if token != stop:  # outlines-core cannot advance on EOS (its issue #227)
                guide.advance(token)
    return (time.perf_counter() - t0) / steps


def _replay_naive(mask: TokenMask, seqs: Sequence[Sequence[int]], limit: int) -> float:
    """The seed's per-step mask: walk every token's bytes from the current state, every step."""
    dfa, vocab, live = mask.dfa, mask.vocab, mask.live
    steps, t0 = 0, time.perf_counter()
    for seq in seqs:
        state = mask.start
        for token in seq:
            row = np.zeros(len(vocab), dtype=bool)
            for t, raw in enumerate(vocab.tokens):
                if raw:
                    row[t] = live[dfa.walk(state, raw)]
            state = mask.advance(state, token)
            steps += 1
            if steps >= limit:
                return (time.perf_counter() - t0) / steps
    return (time.perf_counter() - t0) / max(steps, 1)


def _replay_xgrammar(xg: dict[str, Any], seqs: Sequence[Sequence[int]], vocab_size: int) -> float:
    xgr = xg["module"]
    bitmask = xgr.allocate_token_bitmask(1, vocab_size)
    steps, t0 = 0, time.perf_counter()
    for seq in seqs:
        matcher = xgr.GrammarMatcher(xg["compiled"])
        for token in seq:
            matcher.fill_next_token_bitmask(bitmask)
            matcher.accept_token(token)
            steps += 1
    return (time.perf_counter() - t0) / steps


def _decode_ratio(
    model: Any, mask: TokenMask, prompts: list[list[int]], seed: int, reps: int
) -> dict[str, float]:
    """Seconds per step of masked generation and of unmasked generation over the same number of steps."""
    stop = mask.vocab.stop_id
    totals = {"masked": 0.0, "free": 0.0}
    steps = 0
    for i, ids in enumerate(track(prompts, desc="decode steps")):
        first = generate(
            model,
            ids,
            max_new_tokens=160,
            strategy=Temperature(1.0),
            seed=seed + i,
            stop_ids=[stop],
            mask=mask.session(),
        )
        n = len(first)
        for _ in range(reps):  # interleaved, so drift on a shared machine hits both alike
            for kind in ("masked", "free"):
                session = mask.session() if kind == "masked" else None
                t0 = time.perf_counter()
                generate(
                    model,
                    ids,
                    max_new_tokens=n,
                    strategy=Temperature(1.0),
                    seed=seed + i,
                    stop_ids=[stop] if session else [],
                    mask=session,
                )
                totals[kind] += time.perf_counter() - t0
        steps += n * reps
    return {
        "masked_step_ms": totals["masked"] / steps * 1e3,
        "unmasked_step_ms": totals["free"] / steps * 1e3,
        "ratio": totals["masked"] / totals["free"],
    }


@lab("30-mask-overhead", title="Mask cost: compile ms, µs per token, masked/unmasked decode step")
def mask_overhead(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {
                "sequences": 20,
                "compile_reps": 3,
                "prompts": 3,
                "reps": 2,
                "naive_steps": 20,
            },
            "default": {
                "sequences": 300,
                "compile_reps": 9,
                "prompts": 20,
                "reps": 5,
                "naive_steps": 200,
            },
        },
    )
    tokenizer = load_tokenizer()
    vocab = Vocabulary.from_tokenizer(tokenizer)
    schema = conjugation_schema()
    regex = to_regex(schema)
    results: dict[str, Any] = {"vocab_size": len(vocab)}
    gc.disable()
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            reps = int(cfg["compile_reps"])
            results["ours_compile_ms"] = _median_s(lambda: _ours_compile(schema, vocab), reps) * 1e3
            mask = _ours_compile(schema, vocab)
            rng = np.random.default_rng(ctx.seed)
            seqs = [_random_path(mask, rng) for _ in range(int(cfg["sequences"]))]
            results["ours_mask_us_per_token"] = _replay_ours(mask, seqs) * 1e6
            results["naive_mask_us_per_token"] = (
                _replay_naive(mask, seqs, int(cfg["naive_steps"])) * 1e6
            )
            found = _outlines(vocab)
            if found is not None:
                oc, oc_vocab = found
                results["outlines_compile_ms"] = (
                    _median_s(lambda: oc.Index(regex, oc_vocab), reps) * 1e3
                )
                own = oc.json_schema.build_regex_from_schema(json.dumps(schema))
                results["outlines_own_regex_compile_ms"] = (
                    _median_s(lambda: oc.Index(own, oc_vocab), reps) * 1e3
                )
                index = oc.Index(regex, oc_vocab)
                results["outlines_mask_us_per_token"] = (
                    _replay_outlines(oc, index, seqs, len(vocab), vocab.stop_id) * 1e6
                )
            xg = _xgrammar(vocab, schema)
            if xg is not None:
                results["xgrammar_compile_ms"] = xg["compile_ms"]
                results["xgrammar_mask_us_per_token"] = _replay_xgrammar(xg, seqs, len(vocab)) * 1e6
            model = load_shipped_model("grammar").model
            prompts = [prompt_ids(tokenizer, r["text"]) for r in val_rows(int(cfg["prompts"]))]
            results.update(_decode_ratio(model, mask, prompts, ctx.seed, int(cfg["reps"])))
    finally:
        gc.enable()
    results["outlines_installed"] = "outlines_mask_us_per_token" in results
    results["xgrammar_installed"] = "xgrammar_mask_us_per_token" in results
    _plot(ctx, results)
    return results


def _random_path(mask: TokenMask, rng: np.random.Generator) -> list[int]:
    """A random legal token sequence to the stop token: what a sampler under the mask could emit."""
    state, out = mask.start, []
    while True:
        choices = np.flatnonzero(mask.allowed(state))
        token = int(rng.choice(choices))
        out.append(token)
        if token == mask.vocab.stop_id:
            return out
        state = mask.advance(state, token)


def _plot(ctx: LabContext, res: Mapping[str, Any]) -> None:
    fig, (left, right) = figure(1, 2, width=10.0, height=3.8)
    names = [
        ("ours", "ours"),
        ("outlines", "outlines-core"),
        ("xgrammar", "xgrammar"),
        ("naive", "naive (seed)"),
    ]
    shown = [
        (label, res[f"{key}_mask_us_per_token"])
        for key, label in names
        if f"{key}_mask_us_per_token" in res
    ]
    left.bar([n for n, _ in shown], [v for _, v in shown], color="tab:blue")
    left.set(ylabel="µs per token (log)", yscale="log", title="per-token mask")
    compiled = [
        (label, res[f"{key}_compile_ms"]) for key, label in names[:3] if f"{key}_compile_ms" in res
    ]
    right.bar([n for n, _ in compiled], [v for _, v in compiled], color="tab:orange")
    right.set(ylabel="ms", title="compile the conjugation schema")
    save_png(
        fig,
        ctx.path("mask_overhead.png"),
        title=f"masked/unmasked decode step: {res['ratio']:.3f}×",
    )


__all__ = ["mask_overhead"]
