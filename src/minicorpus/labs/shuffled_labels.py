"""Break 12: shuffle the tense labels against the prompts and train the same classifier on them.

The corpus keeps its shape — same texts, same label counts — so nothing about the data looks wrong at a glance.
Healthy, a tense classifier transfers to (verb, tense) keys it never saw; on shuffled labels it can only
memorise, and on held-out keys it falls to chance. The validator's truth-table check sees the same bug
without training anything: every row whose tense no longer matches its text fails it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from lynx_cortex.registry import BreakOutcome, LabContext, breaks
from minicorpus.classifier import UNIFORM_LOSS, accuracy, mean_loss, train_classifier
from minicorpus.generate import generate_rows
from minicorpus.rows import Row
from minicorpus.split import stratified_split_by_verb_tense
from minicorpus.validate import check_truth_table
from minicorpus.verb_table import TENSES

#: Held-out accuracy a classifier of correct labels must reach for the comparison to mean anything.
HEALTHY_FLOOR = 0.7
#: How far above the best constant guess the broken model may land and still count as "at chance".
CHANCE_MARGIN = 0.1


def shuffle_labels(rows: Sequence[Row], ctx: LabContext) -> list[Row]:
    """The bug: permute the `tense` column independently of the texts (shapes and counts unchanged)."""
    order = ctx.rng.permutation(len(rows))
    return [{**row, "tense": rows[int(j)]["tense"]} for row, j in zip(rows, order, strict=True)]


def _score(train: Sequence[Row], heldout: Sequence[Row], steps: int) -> dict[str, Any]:
    texts = [row["text"] for row in train]
    model = train_classifier(texts, [row["tense"] for row in train], steps=steps)
    held_texts = [row["text"] for row in heldout]
    held_tenses = [row["tense"] for row in heldout]
    return {
        "train_accuracy": round(accuracy(model, texts, [row["tense"] for row in train]), 4),
        "heldout_accuracy": round(accuracy(model, held_texts, held_tenses), 4),
        "heldout_loss": round(mean_loss(model, held_texts, held_tenses), 4),
        "truth_table_failures": len(check_truth_table(train).failures),
    }


@breaks(
    12,
    title="labels shuffled against prompts",
    change="permute the training rows' tense labels independently of their texts",
)
def shuffled_labels_break(ctx: LabContext) -> BreakOutcome:
    steps = 400
    rows = generate_rows(ctx.seed)
    split = stratified_split_by_verb_tense(rows, seed=ctx.seed)
    train = split.rows["train"]
    heldout = split.rows["val"] + split.rows["test"]
    healthy = _score(train, heldout, steps)
    broken = _score(shuffle_labels(train, ctx), heldout, steps)
    majority = max(Counter(row["tense"] for row in heldout).values()) / len(heldout)
    chance = max(majority, 1 / len(TENSES))
    ctx.config.update({"steps": steps, "train_rows": len(train), "heldout_rows": len(heldout)})
    for side in (healthy, broken):
        side["chance_accuracy"] = round(chance, 4)
        side["uniform_loss"] = round(UNIFORM_LOSS, 4)
    detected = (
        healthy["heldout_accuracy"] >= HEALTHY_FLOOR
        and broken["heldout_accuracy"] <= chance + CHANCE_MARGIN
        and healthy["truth_table_failures"] == 0
        and broken["truth_table_failures"] > 0
    )
    symptom = (
        f"held-out tense accuracy {healthy['heldout_accuracy']:.2f} → {broken['heldout_accuracy']:.2f} "
        f"(chance {chance:.2f}); held-out loss {broken['heldout_loss']:.2f} vs log 6 = {UNIFORM_LOSS:.2f}; "
        f"the truth-table check flags {broken['truth_table_failures']} of {len(train)} training rows"
        if detected
        else "shuffled labels did not push held-out accuracy to chance"
    )
    return BreakOutcome(healthy=healthy, broken=broken, symptom=symptom, detected=detected)
