"""Phase 20: evaluate one trained checkpoint end to end — what `lynx eval CHECKPOINT` runs.

Load the weights (through `minimodel.weights`, the one reader of the checkpoint format), refuse a probe set
that leaks into train/val, score every probe, measure perplexity on the held-out val and test splits, and write
the report folder. Every failure a user can cause (no checkpoint, a corrupt one, a leak) surfaces as
`EvalInputError` with one line naming the culprit; the CLI turns it into a `LynxError`.

The results never depend on the clock: the checkpoint is identified by the sha256 of its weights file, so two
runs on one checkpoint write byte-identical results.json (the date only enters REPORT.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safetensors import SafetensorError

from lynx_cortex.atomic import write_text_atomic
from lynx_cortex.paths import data_dir
from minicorpus.rows import read_jsonl
from minieval.compare import render_compare
from minieval.generation import pass_at_k_sub_eval
from minieval.harness import evaluate
from minieval.leak import LeakError, assert_no_leak
from minieval.probes import ProbeError, load_probes
from minieval.report import write_report_dir
from minimodel.data import encode_split, load_tokenizer
from minimodel.mini_gpt import MiniGPT
from minimodel.weights import MODEL_FILE, load_model

PERPLEXITY_SPLITS = ("val", "test")
RESULTS = "results.json"


class EvalInputError(ValueError):
    """A checkpoint, probe set or comparison target that cannot be evaluated, said in one line."""


@dataclass(frozen=True)
class LoadedCheckpoint:
    model: MiniGPT
    folder: Path
    sha256: str
    step: int | None
    seed: int | None = None


def _training_facts(folder: Path, state: dict[str, Any]) -> tuple[int | None, int | None]:
    """(step, seed) of the weights: from the trainer state a full checkpoint carries, else from the
    `summary.json` a shipped weights-only folder keeps beside them (its best step and training seed)."""
    trainer = state.get("trainer")
    if isinstance(trainer, dict):
        config = trainer.get("config")
        step, seed = trainer.get("step"), config.get("seed") if isinstance(config, dict) else None
    else:
        try:
            summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            summary = {}
        summary = summary if isinstance(summary, dict) else {}
        step, seed = summary.get("best_step"), summary.get("seed")
    return (step if isinstance(step, int) else None, seed if isinstance(seed, int) else None)


def load_checkpoint(path: Path) -> LoadedCheckpoint:
    """A run folder, or its `best/`/`checkpoint/`, or a shipped weights-only folder, as a ready model."""
    path = Path(path)
    if not path.exists():
        raise EvalInputError(f"checkpoint {path} does not exist")
    try:
        loaded = load_model(path)
    except (
        FileNotFoundError,
        ValueError,
        KeyError,
        TypeError,
        OSError,
        SafetensorError,
    ) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise EvalInputError(f"cannot load checkpoint {path}: {reason}") from exc
    digest = hashlib.sha256((loaded.folder / MODEL_FILE).read_bytes()).hexdigest()
    step, seed = _training_facts(loaded.folder, loaded.state)
    return LoadedCheckpoint(loaded.model, loaded.folder, digest, step, seed)


def _leak_line(exc: LeakError) -> str:
    lines = [s.strip() for s in str(exc).splitlines() if s.strip()]
    first = f"; first: {lines[1]}" if len(lines) > 1 else ""
    return f"leak check failed: {lines[0]}{first}"


def evaluate_checkpoint(
    checkpoint: Path, *, data: Path | None = None, eval_dir: Path | None = None
) -> dict[str, Any]:
    """The results dict of one checkpoint on the project's probes (`data/eval/`) and splits.

    The leak check runs first: a leaked probe set is refused before any weights are read.
    """
    root = data if data is not None else data_dir()
    probes_dir = eval_dir if eval_dir is not None else root / "eval"
    try:
        core = load_probes(probes_dir / "probes.jsonl")
        adversarial = load_probes(probes_dir / "adversarial.jsonl")
        assert_no_leak([*core, *adversarial], root / "processed")
    except LeakError as exc:
        raise EvalInputError(_leak_line(exc)) from exc
    except (ProbeError, FileNotFoundError) as exc:
        raise EvalInputError(str(exc).splitlines()[0]) from exc
    loaded = load_checkpoint(checkpoint)
    tokenizer = load_tokenizer()
    sets = {name: encode_split(tokenizer, name, data=root) for name in PERPLEXITY_SPLITS}
    meta = {
        "checkpoint_sha256": loaded.sha256,
        "step": loaded.step,
        "seed": loaded.seed,
        "model": loaded.model.cfg.to_dict(),
    }
    results = evaluate(loaded.model, tokenizer, core, adversarial, perplexity_sets=sets, meta=meta)
    val_rows = read_jsonl(root / "processed" / "val.jsonl")
    results["pass_at_k"] = pass_at_k_sub_eval(loaded.model, tokenizer, val_rows)
    return results


def read_results(path: Path) -> dict[str, Any]:
    """A previous evaluation's results: a results.json file or the folder holding one."""
    file = path / RESULTS if path.is_dir() else path
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError: not JSON, or not UTF-8 at all
        raise EvalInputError(f"cannot read evaluation results {file}: {exc}") from exc
    if not isinstance(data, dict) or "accuracy" not in data:
        raise EvalInputError(f"{file} is not a results.json written by `lynx eval`")
    return data


def results_for(path: Path, evaluate_fn: Callable[[Path], dict[str, Any]]) -> dict[str, Any]:
    """`--compare` target: a report folder / results.json is read, anything else evaluated as a checkpoint."""
    path = Path(path)
    if path.is_file() or (path / RESULTS).is_file():
        return read_results(path)
    return evaluate_fn(path)


def write_eval(
    checkpoint: Path,
    out: Path,
    *,
    compare: Path | None = None,
    eval_date: str = "(not recorded)",
    data: Path | None = None,
) -> list[Path]:
    """Evaluate `checkpoint` into `out` (and COMPARE.md against `compare`); the paths written."""
    results = evaluate_checkpoint(checkpoint, data=data)
    name = Path(checkpoint).name or str(checkpoint)
    paths = write_report_dir(results, out, checkpoint_name=name, eval_date=eval_date)
    if compare is not None:
        other = results_for(compare, lambda p: evaluate_checkpoint(p, data=data))
        text = render_compare(results, other, names=(name, Path(compare).name or str(compare)))
        paths.append(write_text_atomic(out / "COMPARE.md", text))
    return paths


__all__ = [
    "EvalInputError",
    "LoadedCheckpoint",
    "evaluate_checkpoint",
    "load_checkpoint",
    "read_results",
    "results_for",
    "write_eval",
]
