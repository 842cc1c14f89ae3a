"""Phase 30 lab `30-constrained-vs-free` and break 30: how often free decoding breaks the schema, and the fix.

The shipped grammar model was trained on the correction frame (`text<|sep|>correction<|sep|>code<|sep|>
spanish`), never on JSON. We prompt it exactly as `lynx struct` does (`<|endoftext|>sentence<|sep|>`) and
compare, on held-out sentences:

- free greedy decoding, and free temperature-1 sampling, to <|endoftext|>;
- "ask nicely": free greedy decoding with the JSON's opening `{"verb":"` already written after the prompt;
- greedy and temperature-1 decoding under the conjugation-schema mask.

Every output is parsed (`json.loads`) and validated (`jsonschema`): free decoding is invalid essentially always
(the model writes its correction), the masked runs never are. How often the masked fields match the sentence's
own labels is reported next to chance: the mask guarantees syntax, not content.

Break 30 applies the same mask *after* sampling (the token is drawn from the raw logits, then the mask is
computed and applied to logits nobody reads any more): invalid JSON leaks at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.progress import track
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from miniinfer.batched import greedy_batch
from miniinfer.generate import generate
from miniinfer.prompting import prompt_ids
from miniinfer.sampling import Strategy, Temperature
from minimodel.data import load_tokenizer
from minimodel.shipped import load_shipped_model
from ministruct.constrained import token_mask
from ministruct.labs.common import tally, val_rows
from ministruct.mask import TokenMask, Vocabulary
from ministruct.schemas import conjugation_schema

OPENING = '{"verb":"'
MAX_NEW = 96


def _text(vocab: Vocabulary, ids: list[int]) -> str:
    """The output up to the stop token; a special written anywhere else is kept visible (it breaks JSON)."""
    if ids and ids[-1] == vocab.stop_id:
        ids = ids[:-1]
    return b"".join(vocab.tokens[i] or b"<special>" for i in ids).decode("utf-8", "replace")


class MaskAfterSampling:
    """Break 30: draw from the raw logits first, then compute the mask and apply it — to logits no one reads."""

    def __init__(self, strategy: Strategy, mask: TokenMask) -> None:
        self.strategy = strategy
        self.mask = mask
        self.state = mask.start
        self.last_masked: np.ndarray | None = None

    def __call__(self, logits: np.ndarray, rng: np.random.Generator) -> int:
        token = int(self.strategy(logits, rng))  # the bug: the draw happens before the mask
        allowed = self.mask.allowed_table[self.state]  # (V,) the right mask for this step ...
        self.last_masked = np.where(allowed, logits, -np.inf)  # ... applied one step too late
        if token != self.mask.vocab.stop_id:
            self.state = int(self.mask.next_state[self.state, token])
        return token


def _sampled(
    model: Any, mask: TokenMask, prompts: list[list[int]], seed: int, *, how: str
) -> list[str]:
    """Temperature-1 outputs: `masked` (mask before sampling), `free`, or `late` (break 30)."""
    stop = mask.vocab.stop_id
    texts = []
    for i, ids in enumerate(track(prompts, desc=f"sampling ({how})")):
        strategy: Strategy = Temperature(1.0)
        if how == "late":
            strategy = MaskAfterSampling(strategy, mask)
        out = generate(
            model,
            ids,
            max_new_tokens=MAX_NEW,
            strategy=strategy,
            seed=seed + i,
            stop_ids=[stop],
            mask=mask.session() if how == "masked" else None,
        )
        texts.append(_text(mask.vocab, out))
    return texts


def _field_hits(texts: list[str], rows: list[dict[str, Any]]) -> dict[str, float]:
    values = [json.loads(t) for t in texts]
    return {
        field: float(np.mean([v[field] == r[key] for v, r in zip(values, rows, strict=True)]))
        for field, key in (("verb", "verb_lemma"), ("tense", "tense"), ("person", "person"))
    }


@lab("30-constrained-vs-free", title="Invalid-output rate: free decoding against the schema mask")
def constrained_vs_free(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx, {"smoke": {"greedy": 24, "sampled": 8}, "default": {"greedy": 1000, "sampled": 200}}
    )
    tokenizer = load_tokenizer()
    schema = conjugation_schema()
    mask = token_mask(schema, tokenizer)
    vocab = mask.vocab
    model = load_shipped_model("grammar").model
    rows = val_rows(int(cfg["greedy"]))
    prompts = [prompt_ids(tokenizer, r["text"]) for r in rows]
    opened = [p + tokenizer.encode(OPENING) for p in prompts]
    stop = vocab.stop_id
    free = greedy_batch(model, prompts, MAX_NEW, stop)
    nicely = greedy_batch(model, opened, MAX_NEW, stop)
    masked = greedy_batch(model, prompts, MAX_NEW, stop, masks=[mask.session() for _ in prompts])
    few = prompts[: int(cfg["sampled"])]
    runs = {
        "free_greedy": [_text(vocab, o) for o in free],
        "ask_nicely_greedy": [OPENING + _text(vocab, o) for o in nicely],
        "masked_greedy": [_text(vocab, o) for o in masked],
        "free_sampled": _sampled(model, mask, few, ctx.seed, how="free"),
        "masked_sampled": _sampled(model, mask, few, ctx.seed, how="masked"),
    }
    table = {name: tally(texts, schema) for name, texts in runs.items()}
    fig, ax = figure()
    names = list(table)
    ax.bar(range(len(names)), [100 * table[n]["invalid_rate"] for n in names], color="tab:red")
    ax.set(ylabel="invalid outputs (%)", ylim=(0, 105))
    ax.set_xticks(range(len(names)), names, rotation=15, fontsize=8)
    save_png(
        fig,
        ctx.path("invalid_rate.png"),
        title="Free decoding breaks the schema; the mask never does",
    )
    return {
        "table": table,
        "masked_greedy_all_valid": table["masked_greedy"]["valid"] == len(rows),
        "masked_sampled_all_valid": table["masked_sampled"]["valid"] == len(few),
        "field_match_rate_masked_greedy": _field_hits(runs["masked_greedy"], rows),
        "chance_rate": {"verb": 1 / 20, "tense": 1 / 6, "person": 1 / 4},
        "examples": {name: texts[:3] for name, texts in runs.items()},
    }


@breaks(
    30,
    title="Mask applied after sampling",
    change="draw the token first, apply the mask afterwards",
)
def mask_after_sampling(ctx: LabContext) -> BreakOutcome:
    cfg = settings(ctx, {"smoke": {"samples": 8}, "default": {"samples": 50}})
    tokenizer = load_tokenizer()
    schema = conjugation_schema()
    mask = token_mask(schema, tokenizer)
    model = load_shipped_model("grammar").model
    prompts = [prompt_ids(tokenizer, r["text"]) for r in val_rows(int(cfg["samples"]))]
    healthy = tally(_sampled(model, mask, prompts, ctx.seed, how="masked"), schema)
    late = _sampled(model, mask, prompts, ctx.seed, how="late")
    broken = tally(late, schema)
    return BreakOutcome(
        healthy={"order": "mask → temperature → draw", **healthy},
        broken={"order": "draw → mask (too late)", **broken, "first_outputs": late[:3]},
        symptom=(
            f"{broken['invalid_rate']:.0%} of the outputs are invalid ({broken['not_json']} not JSON, "
            f"{broken['schema']} failing the schema) against {healthy['invalid_rate']:.0%} with the mask first"
        ),
        detected=broken["invalid_rate"] > 0 and healthy["invalid_rate"] == 0,
    )


__all__ = ["MaskAfterSampling", "constrained_vs_free", "mask_after_sampling"]
