"""Lab 12-corpus-stats: build the corpus twice, prove the bytes match, and plot what it contains."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lynx_cortex.manifest import sha256_file
from lynx_cortex.registry import LabContext, lab
from minicorpus.build import build_corpus
from minicorpus.stats import summarize, write_plots


@lab("12-corpus-stats", title="The verb corpus: build, reproduce, coverage and error plots")
def corpus_stats(ctx: LabContext) -> Mapping[str, Any]:
    first = build_corpus(ctx.path("corpus"), seed=ctx.seed)
    second = build_corpus(ctx.path("rebuild"), seed=ctx.seed)
    names = sorted(first.manifest["files"])
    identical = all(
        sha256_file(first.out_dir / name) == sha256_file(second.out_dir / name) for name in names
    )
    write_plots(first.rows, ctx.path("plots"))
    ctx.config.update({"corpus_seed": ctx.seed, "files": len(names)})
    default = first.splits["default"].log()
    heldout = first.splits["heldout-verbs"].log()
    return {
        **summarize(first.rows),
        "checks_passed": sum(check.passed for check in first.report.checks),
        "checks_total": len(first.report.checks),
        "regeneration_identical": identical,
        "default_keys_per_split": default["keys_per_split"],
        "default_rows_per_split": default["rows_per_split"],
        "heldout_keys_per_split": heldout["keys_per_split"],
        "heldout_rows_per_split": heldout["rows_per_split"],
    }
