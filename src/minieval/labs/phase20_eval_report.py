"""Phase 20 lab `20-eval-report`: the evaluation report of the shipped grammar checkpoint.

It runs exactly what `lynx eval` runs (`minieval.checkpoint_eval.write_eval`) on the shipped weights, after
their sha256 has been checked against the manifest, so the lab and the CLI cannot drift.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from lynx_cortex.labkit import settings
from lynx_cortex.registry import LabContext, lab
from minieval.checkpoint_eval import write_eval
from minimodel.shipped import verify_shipped

CHECKPOINT = "grammar"
REPORT_DIR = "report"


@lab("20-eval-report", title="The evaluation report of the shipped grammar checkpoint")
def eval_report(ctx: LabContext) -> Mapping[str, Any]:
    """`lynx eval` on the hash-verified shipped weights; the headline numbers come back as the lab's results."""
    settings(ctx, {"default": {"checkpoint": CHECKPOINT}})
    folder = verify_shipped(str(ctx.config["checkpoint"]))
    # A subfolder: the runner writes the lab's own results.json at the top of the run folder.
    report = ctx.path(REPORT_DIR)
    paths = write_eval(folder, report)
    data = json.loads((report / "results.json").read_text(encoding="utf-8"))
    acc = data["accuracy"]
    return {
        "checkpoint": str(ctx.config["checkpoint"]),
        "checkpoint_sha256": data["meta"]["checkpoint_sha256"],
        "core_accuracy": acc["accuracy"],
        "core_n": acc["n"],
        "core_wilson": acc["wilson"],
        "perplexity": {split: v["ppl"] for split, v in data["perplexity"].items()},
        "files": sorted(f"{REPORT_DIR}/{p.name}" for p in paths),
    }


__all__ = ["CHECKPOINT", "REPORT_DIR", "eval_report"]
