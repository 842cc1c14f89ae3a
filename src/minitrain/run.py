"""Phase 18: one complete training run of MiniGPT on the framed corpus, as `lynx train` performs it.

A run folder holds `checkpoint/` (the latest state, rewritten at every evaluation so an interrupted run can
`--resume`), `best/` (the state at the best validation loss), `metrics.jsonl`, `dashboard.html`,
`summary.json` (validation perplexity next to the n-gram baseline's on the same split) and `manifest.json`.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from lynx_cortex.atomic import write_json_atomic
from lynx_cortex.manifest import Stopwatch, record_manifest
from lynx_cortex.paths import data_dir
from minicorpus.rows import read_jsonl
from minimodel.baseline import corpus_baseline
from minimodel.data import encode_split, load_tokenizer
from minimodel.mini_gpt import named_config
from minimodel.weights import BEST, CHECKPOINT, build_model, load_model
from minitrain.checkpoint import (
    Checkpoint,
    checkpoint_files,
    read_checkpoint,
    restore,
    save_checkpoint,
)
from minitrain.config import TrainConfig, named_train_config
from minitrain.dashboard import render
from minitrain.inspect import Inspector, instrument_minigpt
from minitrain.metrics import MetricsLog, read_metrics
from minitrain.trainer import Trainer, evaluate


def val_classes() -> list[str]:
    """`regular`/`irregular` for each validation row (the English verb's class), in file order."""
    rows = read_jsonl(data_dir() / "processed" / "val.jsonl")
    return [str(r.get("english_regularity") or "unknown") for r in rows]


def shortened(config: TrainConfig, steps: int) -> TrainConfig:
    """The same recipe over `steps` steps: warmup at most a tenth of the run, at least one evaluation."""
    return replace(
        config,
        steps=steps,
        warmup_steps=min(config.warmup_steps, steps // 10),
        eval_every=min(config.eval_every, steps),
    )


def train_run(
    config_name: str,
    out: Path,
    *,
    steps: int | None = None,
    resume: bool = False,
    progress: bool = False,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train (or resume) one run into `out` and return its summary."""
    clock = Stopwatch()
    out = Path(out)
    tokenizer = load_tokenizer()
    train_ids, val_ids = encode_split(tokenizer, "train"), encode_split(tokenizer, "val")
    classes = val_classes()
    if len(classes) != len(val_ids):
        raise ValueError(f"val.jsonl has {len(classes)} rows but {len(val_ids)} encoded sequences")
    ckpt: Checkpoint | None = None
    if resume:
        ckpt = read_checkpoint(out / CHECKPOINT)
        model_config = ckpt.model_config
        config = TrainConfig.from_dict(dict(ckpt.state["trainer"]["config"]))
        if steps is not None and steps != config.steps:
            raise ValueError(
                f"--steps {steps} differs from the resumed run's {config.steps}: a resumed run keeps its schedule"
            )
    else:
        model_config = {
            "name": config_name,
            "minigpt": named_config(config_name, tokenizer.vocab_size).to_dict(),
        }
        config = named_train_config(config_name)
        if overrides:
            config = TrainConfig.from_dict({**config.to_dict(), **overrides})
        if steps is not None:
            config = shortened(config, steps)
    model = build_model(model_config, config.seed)
    inspector = Inspector()
    instrument_minigpt(inspector, model)
    log = MetricsLog(out / "metrics.jsonl")
    trainer = Trainer(
        model,
        train_ids,
        val_ids,
        config,
        context_len=model.cfg.context_len,
        val_classes=classes,
        log=log,
        observer=inspector,
        progress=progress,
    )
    if ckpt is not None:
        restore(trainer, ckpt)
        log.truncate_after(trainer.step)
    elif log.path.exists():
        log.path.unlink()
    baseline = corpus_baseline()

    def save_best(t: Trainer) -> None:
        save_checkpoint(out / BEST, t, model_config=model_config)

    def save_latest(t: Trainer) -> None:
        save_checkpoint(out / CHECKPOINT, t, model_config=model_config)

    started = time.perf_counter()
    records = trainer.fit(on_best=save_best, on_eval=save_latest)
    train_s = time.perf_counter() - started
    save_latest(trainer)
    best_model = load_model(out / BEST).model
    best_eval = evaluate(
        best_model, val_ids, batch_size=32, context_len=model.cfg.context_len, classes=classes
    )
    final_eval = trainer.evaluate()
    tokens = sum(int(r["tokens"]) for r in records)
    summary: dict[str, Any] = {
        "config": model_config["name"],
        "steps": trainer.step,
        "best_step": trainer.best_step,
        "stopped_early": trainer.stopped_early,
        "val_loss": best_eval.loss,
        "val_perplexity": best_eval.perplexity,
        "final_val_perplexity": final_eval.perplexity,
        "val_perplexity_by_class": {k: math.exp(v) for k, v in best_eval.by_class.items()},
        "ngram_val_perplexity": baseline.val_perplexity,
        "ngram": {"n": baseline.n, "alpha": baseline.alpha},
        "beats_baseline": best_eval.perplexity < baseline.val_perplexity,
        "parameters": sum(p.size for p in model.parameters()),
        "train_seconds_this_session": round(train_s, 3),
        "tokens_per_second": round(tokens / train_s, 1) if train_s > 0 and tokens else None,
        "resumed": resume,
    }
    write_json_atomic(out / "summary.json", summary)
    render(
        read_metrics(log.path),
        out / "dashboard.html",
        title=f"lynx train --config {model_config['name']} ({out.name})",
        header={
            "config": model_config["name"],
            "seed / data seed": f"{config.seed} / {config.data_seed}",
            "steps": f"{trainer.step} of {config.steps} (best at {trainer.best_step})",
            "val perplexity (best)": f"{best_eval.perplexity:.2f}",
            "n-gram val perplexity": f"{baseline.val_perplexity:.2f}",
            "parameters": summary["parameters"],
        },
        baseline_loss=math.log(baseline.val_perplexity),
        grad_clip=config.grad_clip,
    )
    artifacts = [
        out / "summary.json",
        out / "metrics.jsonl",
        out / "dashboard.html",
        *checkpoint_files(out / CHECKPOINT),
        *checkpoint_files(out / BEST),
    ]
    record_manifest(
        out,
        seed=config.seed,
        config={"model": model_config, "train": config.to_dict()},
        artifacts=artifacts,
        started_at=clock.started_at,
        wall_s=clock.elapsed(),
        extra={"summary": summary},
    )
    return summary


__all__ = ["BEST", "CHECKPOINT", "shortened", "train_run", "val_classes"]
