"""Phase 28 labs: a LoRA adapter for one learner, and what its rank buys.

- `28-lora-irregulars`: the shipped tutor meets Sam, a learner it never saw, and corrects none of his
  irregular-verb sentences exactly (it rewrites his name). An r=8 adapter trained on his irregular-verb
  sentences (the base frozen) is scored before/after on his held-out irregular sentences (target), his
  regular-verb sentences (transfer) and other learners' sentences (control, where forgetting shows); a second
  adapter replays other learners' sentences alongside his. The adapter is saved bound to the base's sha256.
- `28-rank-sweep`: the same run (with replay) at r ∈ {1, 2, 4, 8, 16, 32}: trainable numbers against target
  accuracy and forgetting.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.progress import track
from lynx_cortex.registry import LabContext, lab
from minieval.correction import answer_all
from minimodel.shipped import shipped_dir
from minimodel.weights import MODEL_FILE
from minituner.adapter import read_adapter, save_adapter
from minituner.experiment import Outcome, before_after_table, run_adapter, score_sets
from minituner.labs._setup import BASE, fresh_base, setup_for
from minituner.lora import LoRAConfig, base_sha256, merged_copy
from minituner.train import FineTuneConfig

MODES: dict[str, dict[str, Any]] = {
    "smoke": {"steps": 3, "limit": 6, "control": 6, "replay": 0.5, "rank": 8, "lr": 3e-3},
    "default": {"steps": 60, "limit": None, "control": 200, "replay": 0.5, "rank": 8, "lr": 3e-3},
    "full": {"steps": 200, "limit": None, "control": 600, "replay": 0.5, "rank": 8, "lr": 3e-3},
}


def _rate(result: Mapping[str, Any], name: str, metric: str = "exact_correction") -> float:
    value = result[name][metric]["value"]
    return float("nan") if value is None else float(value)


def _named(row: Mapping[str, Any]) -> bool:
    """A sentence about a named learner (not I/you/he/she/it): where renaming Sam would show."""
    subject = str(row.get("subject", ""))
    return subject[:1].isupper() and subject != "I"


def _samples(models: Mapping[str, Any], setup: Any, per_set: int = 2) -> list[dict[str, Any]]:
    """The first erroneous sentences of each set (control: about a named learner) with each model's
    correction, the base first: to read, not to score."""
    rows = [
        (name, row)
        for name in ("target", "transfer", "control")
        for row in [
            r
            for r in getattr(setup.experiment, name)
            if r.get("error_type") and (name != "control" or _named(r))
        ][:per_set]
    ]
    texts = [str(row["text"]) for _, row in rows]
    answers = {
        label: answer_all(merged_copy(m) if label != "base" else m, setup.tokenizer, texts)
        for label, m in models.items()
    }
    samples: list[dict[str, Any]] = []
    for i, ((name, row), text) in enumerate(zip(rows, texts, strict=True)):
        sample: dict[str, Any] = {"set": name, "sentence": text, "expected": row["correct_text"]}
        sample.update({label: answers[label][i].correction for label in models})
        samples.append(sample)
    return samples


def _merge_gap(model: Any, ids: np.ndarray) -> float:
    """max |adapted − merged| logits on a batch: the merge must not change the model."""
    return float(np.abs(model(ids).data - merged_copy(model)(ids).data).max())


@lab("28-lora-irregulars", title="A LoRA adapter for one learner: before/after, and forgetting")
def lora_irregulars(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, MODES)
    setup = setup_for(cfg, ctx.seed)
    lora = LoRAConfig(rank=int(cfg["rank"]), alpha=16.0)
    train = FineTuneConfig(steps=int(cfg["steps"]), lr=float(cfg["lr"]), seed=ctx.seed)
    base = fresh_base()
    base_hash = base_sha256(base)
    before = score_sets(base, setup.tokenizer, setup.experiment)
    runs: dict[str, Outcome] = {}
    models = {}
    plain, replayed = f"LoRA r={lora.rank}", f"LoRA r={lora.rank} + replay"
    variants = {plain: (), replayed: setup.replay}
    for name, replay in track(list(variants.items()), desc="adapters"):
        model = fresh_base()
        runs[name] = run_adapter(
            model, setup.tokenizer, setup.experiment, lora, train, replay=replay
        )
        models[name] = model
    kept = models[replayed]
    adapter = save_adapter(
        kept,
        ctx.path("adapter.safetensors"),
        extra={"base": BASE, "lab": "28-lora-irregulars", **cfg},
    )
    ids = ctx.rng.integers(0, kept.cfg.vocab_size, size=(4, 24))
    samples = _samples({"base": base, **models}, setup)
    after = {name: run.after for name, run in runs.items()}
    table = {
        metric: before_after_table(before, after, metric=metric)
        for metric in ("exact_correction", "spanish_exact")
    }
    ctx.path("table.md").write_text(
        "\n".join(
            [
                "### exact correction",
                *table["exact_correction"],
                "",
                "### Spanish exact",
                *table["spanish_exact"],
                "",
            ]
        ),
        encoding="utf-8",
    )
    fig, ax = figure()
    for name, run in runs.items():
        ax.plot(np.arange(1, len(run.losses) + 1), run.losses, label=name)
    ax.set(xlabel="step", ylabel="target-side loss", yscale="log")
    ax.legend()
    save_png(fig, ctx.path("loss.png"), title="Fine-tuning only the adapters")
    base_bytes = (shipped_dir(BASE) / MODEL_FILE).stat().st_size
    _, metadata = read_adapter(adapter)
    return {
        "sizes": setup.experiment.sizes(),
        "before": before,
        "after": after,
        "trainable": runs[plain].trainable,
        "base_parameters": sum(p.size for p in fresh_base().parameters()),
        "train_rows": {name: run.train_rows for name, run in runs.items()},
        "train_seconds": {name: run.seconds for name, run in runs.items()},
        "final_loss": {name: run.losses[-1] for name, run in runs.items()},
        "target_gain_pp": {
            name: 100 * (_rate(run.after, "target") - _rate(before, "target"))
            for name, run in runs.items()
        },
        "control_drop_pp": {
            name: 100 * (_rate(before, "control") - _rate(run.after, "control"))
            for name, run in runs.items()
        },
        "base_unchanged": all(base_sha256(m) == base_hash for m in models.values()),
        "adapter_base_sha256": metadata["base_sha256"],
        "merge_max_abs_gap": max(_merge_gap(m, ids) for m in models.values()),
        "adapter_bytes": adapter.stat().st_size,
        "base_bytes": base_bytes,
        "adapter_fraction_of_base": adapter.stat().st_size / base_bytes,
        "table": table,
        "samples": samples,
    }


SWEEP: dict[str, dict[str, Any]] = {
    "smoke": {"ranks": [1, 4], "steps": 3, "limit": 6, "control": 6, "replay": 0.5, "lr": 3e-3},
    "default": {
        "ranks": [1, 2, 4, 8, 16, 32],
        "steps": 60,
        "limit": None,
        "control": 200,
        "replay": 0.5,
        "lr": 3e-3,
    },
    "full": {
        "ranks": [1, 2, 4, 8, 16, 32, 64],
        "steps": 200,
        "limit": None,
        "control": 600,
        "replay": 0.5,
        "lr": 3e-3,
    },
}


@lab("28-rank-sweep", title="LoRA rank sweep: trainable numbers against accuracy and forgetting")
def rank_sweep(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, SWEEP)
    setup = setup_for(cfg, ctx.seed)
    train = FineTuneConfig(steps=int(cfg["steps"]), lr=float(cfg["lr"]), seed=ctx.seed)
    before = score_sets(fresh_base(), setup.tokenizer, setup.experiment)
    rows: list[dict[str, Any]] = []
    for rank in track([int(r) for r in cfg["ranks"]], desc="ranks"):
        run = run_adapter(
            fresh_base(),
            setup.tokenizer,
            setup.experiment,
            LoRAConfig(rank=rank),
            train,
            replay=setup.replay,
        )
        rows.append(
            {
                "rank": rank,
                "trainable": run.trainable,
                "final_loss": run.losses[-1],
                "seconds": run.seconds,
                **{
                    f"{name}_exact": _rate(run.after, name)
                    for name in ("target", "transfer", "control")
                },
                **{
                    f"{name}_spanish": _rate(run.after, name, "spanish_exact")
                    for name in ("target", "transfer", "control")
                },
            }
        )
    fig, ax = figure()
    ranks = [r["rank"] for r in rows]
    for name in ("target", "transfer", "control"):
        ax.plot(
            ranks,
            [r[f"{name}_exact"] for r in rows],
            marker="o",
            label=f"{name} (exact correction)",
        )
    ax.set(xscale="log", xlabel="rank r", ylabel="rate", ylim=(-0.02, 1.02))
    ax.set_xticks(ranks, [str(r) for r in ranks])
    ax.legend()
    save_png(fig, ctx.path("accuracy_vs_rank.png"), title="What each rank buys (base frozen)")
    lines = [
        "| r | trainable | target exact | transfer exact | control exact | control Spanish | final loss |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['rank']} | {r['trainable']:,} | {r['target_exact']:.3f} | {r['transfer_exact']:.3f} | "
        f"{r['control_exact']:.3f} | {r['control_spanish']:.3f} | {r['final_loss']:.3f} |"
        for r in rows
    ]
    ctx.path("sweep.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"before": before, "rows": rows, "table": lines, "sizes": setup.experiment.sizes()}


__all__ = ["lora_irregulars", "rank_sweep"]
