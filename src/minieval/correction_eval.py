"""`lynx eval CHECKPOINT --task correction`: the correction task on the tutor set, written as a report.

The frame split's test part is the headline — sentences whose every word the model saw in training, in
combinations it did not. The two generalisation splits (held-out (verb, tense) keys, held-out verbs) are
other partitions of the same sentences, so a checkpoint trained on the frame split has seen most of their
test rows: they are scored with `--split keys|heldout-verbs` on a checkpoint trained on that split's own
train part (`lynx train --config grammar --split …`), reported in their own table, and never used to select
the shipped checkpoint. The report names the split it scored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lynx_cortex.atomic import write_text_atomic
from lynx_cortex.paths import data_dir
from minicorpus.tutor_build import load_tutor_split
from minicorpus.tutor_split import FRAME_SPLIT, GENERALISATION_SPLITS
from minieval.checkpoint_eval import load_checkpoint
from minieval.correction import evaluate_correction, render_table
from minieval.report import results_json
from minimodel.data import load_tokenizer

HEADLINE_SPLIT = FRAME_SPLIT
HEADLINE_PART = "test"
SPLITS = (FRAME_SPLIT, *GENERALISATION_SPLITS)
RESULTS_FILE = "correction.json"
REPORT_FILE = "CORRECTION.md"


def evaluate_checkpoint_correction(
    checkpoint: Path,
    *,
    split: str = HEADLINE_SPLIT,
    limit: int | None = None,
    data: Path | None = None,
) -> dict[str, Any]:
    """Results of the correction task on the test part of one tutor split (the first `limit` rows)."""
    if split not in SPLITS:
        raise ValueError(f"unknown tutor split {split!r}; choose one of {', '.join(SPLITS)}")
    loaded = load_checkpoint(checkpoint)
    tokenizer = load_tokenizer()
    folder = (data if data is not None else data_dir()) / "tutor"
    rows = load_tutor_split(folder, split)[HEADLINE_PART][:limit]
    return {
        "task": "correction",
        "split": f"{split}/{HEADLINE_PART}",
        "generalisation_experiment": split != HEADLINE_SPLIT,
        "checkpoint_sha256": loaded.sha256,
        "step": loaded.step,
        **evaluate_correction(loaded.model, tokenizer, rows),
    }


def render_correction_report(results: dict[str, Any], *, checkpoint_name: str) -> str:
    lines = [f"# Correction task: {checkpoint_name}", ""]
    lines += [
        f"Checkpoint sha256 `{results['checkpoint_sha256'][:16]}…`, step {results['step']}; greedy decoding, "
        "the model alone (no truth table, no masks). A cut-off answer counts as wrong.",
        "",
    ]
    if results["generalisation_experiment"]:
        lines += [
            "**Generalisation experiment** — meaningful only for a checkpoint trained on this split's own "
            "train part; never used to select the shipped checkpoint.",
            "",
        ]
    lines += render_table(results, title=f"{results['split']} split")
    return "\n".join(lines) + "\n"


def write_correction_eval(
    results: dict[str, Any], out: Path, *, checkpoint_name: str
) -> list[Path]:
    return [
        write_text_atomic(out / RESULTS_FILE, results_json(results)),
        write_text_atomic(
            out / REPORT_FILE, render_correction_report(results, checkpoint_name=checkpoint_name)
        ),
    ]


def headline_json(results: dict[str, Any]) -> str:
    """The one-line object `lynx eval --task correction --json` ends with."""
    keys = ("exact_correction", "unchanged_correct", "error_code_accuracy", "spanish_exact", "n")
    line = {k: results[k] for k in keys}
    line["split"] = results["split"]
    line["intervals"] = {
        k: [results["intervals"][k]["wilson_lo"], results["intervals"][k]["wilson_hi"]]
        for k in keys[:4]
    }
    return json.dumps(json.loads(results_json(line)), sort_keys=True)


__all__ = [
    "HEADLINE_PART",
    "HEADLINE_SPLIT",
    "REPORT_FILE",
    "RESULTS_FILE",
    "evaluate_checkpoint_correction",
    "headline_json",
    "render_correction_report",
    "write_correction_eval",
]
