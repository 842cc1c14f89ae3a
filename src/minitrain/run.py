"""Phase 18: one complete training run of MiniGPT on the framed corpus, as `lynx train` performs it.

A run folder holds `checkpoint/` (the latest state, rewritten at every evaluation so an interrupted run can
`--resume`), `best/` (the state at the best validation loss), `metrics.jsonl`, `dashboard.html`,
`summary.json` (validation perplexity next to the n-gram baseline's on the same split) and `manifest.json`.

The rows come from `TrainConfig.data`: the v1 form corpus, or the v1.1 tutor set's frame split, whose
validation part also selects the best checkpoint (its target-side loss) — never a generalisation split.
Training runs with one BLAS thread: the matrices of these models are small enough that OpenBLAS's threads
cost more in hand-offs than they save, and when the two cores are shared its spinning workers made a step
up to 9× slower in our measurements.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from lynx_cortex.atomic import write_json_atomic
from lynx_cortex.manifest import Stopwatch, record_manifest
from lynx_cortex.paths import data_dir
from minicorpus.rows import Row, read_jsonl
from minicorpus.tutor_build import load_tutor_split
from minimodel.baseline import corpus_baseline
from minimodel.data import encode_rows, load_tokenizer
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


def split_rows(config: TrainConfig, part: str) -> list[Row]:
    """The `train`/`val`/`test` rows a run reads (see `TrainConfig.data` and `tutor_split`).

    A tutor run also trains on the v1 form rows (`he work` → `he works`): learners type fragments as well as
    sentences, and phase 20's probes are written in that form. Validation and test stay tutor-only, so the
    checkpoint is still selected on held-out tutor sentences.
    """
    corpus = read_jsonl(data_dir() / "processed" / f"{part}.jsonl")
    if config.data == "corpus":
        return corpus
    tutor = load_tutor_split(data_dir() / "tutor", config.tutor_split)[part]
    return tutor + corpus if part == "train" else tutor


def row_class(row: Row) -> str:
    """`regular`/`irregular`: the English verb's class, under its v1 or its v1.1 name."""
    return str(row.get("english_regularity") or row.get("regularity") or "unknown")


def val_classes() -> list[str]:
    """`regular`/`irregular` for each v1 validation row, in file order."""
    return [row_class(r) for r in split_rows(TrainConfig(), "val")]


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
    val_rows = split_rows(config, "val")
    train_set = encode_rows(tokenizer, split_rows(config, "train"))
    val_set = encode_rows(tokenizer, val_rows)
    classes = [row_class(r) for r in val_rows]
    train_prompts = train_set.prompt_lens if config.target_only else None
    val_prompts = val_set.prompt_lens if config.target_only else None
    model = build_model(model_config, config.seed)
    inspector = Inspector()
    instrument_minigpt(inspector, model)
    log = MetricsLog(out / "metrics.jsonl")
    trainer = Trainer(
        model,
        train_set.ids,
        val_set.ids,
        config,
        context_len=model.cfg.context_len,
        val_classes=classes,
        train_prompt_lens=train_prompts,
        val_prompt_lens=val_prompts,
        log=log,
        observer=inspector,
        progress=progress,
    )
    if ckpt is not None:
        restore(trainer, ckpt)
        log.truncate_after(trainer.step)
    elif log.path.exists():
        log.path.unlink()
    baseline = corpus_baseline() if config.data == "corpus" else None

    def save_best(t: Trainer) -> None:
        save_checkpoint(out / BEST, t, model_config=model_config)

    def save_latest(t: Trainer) -> None:
        save_checkpoint(out / CHECKPOINT, t, model_config=model_config)

    started = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        records = trainer.fit(on_best=save_best, on_eval=save_latest)
        train_s = time.perf_counter() - started
        save_latest(trainer)
        best_model = load_model(out / BEST).model
        best_eval = evaluate(
            best_model,
            val_set.ids,
            batch_size=32,
            context_len=model.cfg.context_len,
            classes=classes,
            prompt_lens=val_prompts,
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
        "data": config.data if config.data == "corpus" else f"tutor/{config.tutor_split}",
        "loss_on": "target" if config.target_only else "all",
        "parameters": sum(p.size for p in model.parameters()),
        "train_seconds_this_session": round(train_s, 3),
        "tokens_per_second": round(tokens / train_s, 1) if train_s > 0 and tokens else None,
        "resumed": resume,
    }
    if baseline is not None:
        summary["ngram_val_perplexity"] = baseline.val_perplexity
        summary["ngram"] = {"n": baseline.n, "alpha": baseline.alpha}
        summary["beats_baseline"] = best_eval.perplexity < baseline.val_perplexity
    write_json_atomic(out / "summary.json", summary)
    header: dict[str, Any] = {
        "config": model_config["name"],
        "data": f"{config.data} (loss on {summary['loss_on']} tokens)",
        "seed / data seed": f"{config.seed} / {config.data_seed}",
        "steps": f"{trainer.step} of {config.steps} (best at {trainer.best_step})",
        "val perplexity (best)": f"{best_eval.perplexity:.2f}",
        "parameters": summary["parameters"],
    }
    if baseline is not None:
        header["n-gram val perplexity"] = f"{baseline.val_perplexity:.2f}"
    render(
        read_metrics(log.path),
        out / "dashboard.html",
        title=f"lynx train --config {model_config['name']} ({out.name})",
        header=header,
        baseline_loss=math.log(baseline.val_perplexity) if baseline is not None else None,
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


__all__ = ["BEST", "CHECKPOINT", "row_class", "shortened", "split_rows", "train_run", "val_classes"]
