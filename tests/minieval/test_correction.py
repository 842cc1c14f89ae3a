"""Scoring the correction task: hand-built answers with hand-counted rates, and the CLI's contract."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from lynx_cortex.cli import cli
from minicorpus.framing import Answer
from minieval.correction import METRICS, case_of, judge, render_table, summarise
from minieval.metrics import wilson_interval

WRONG = {
    "id": "1",
    "text": "She go home every day.",
    "correct_text": "She goes home every day.",
    "error_type": "missing_third_person_s",
    "spanish": "Ella va a casa cada día.",
    "regularity": "irregular",
    "tense": "present_simple",
}
RIGHT = {**WRONG, "id": "2", "text": WRONG["correct_text"], "error_type": None}
PAST = {
    "id": "3",
    "text": "Yesterday he eated lunch.",
    "correct_text": "Yesterday he ate lunch.",
    "error_type": "overregularization_past",
    "spanish": "Ayer él comió el almuerzo.",
    "regularity": "irregular",
    "tense": "past_simple",
}


def test_rates_are_counted_over_the_cases_each_check_applies_to() -> None:
    cases = [case_of(WRONG), case_of(RIGHT), case_of(PAST)]
    answers = [
        Answer("She goes home every day.", "missing_third_person_s", "Ella va a casa cada día."),
        Answer("She goes home every day.", "none", None),  # right, but the Spanish was cut off
        Answer(
            "Yesterday he eated lunch.", "none", "Ayer él comió el almuerzo."
        ),  # left the error in
    ]
    results = summarise(cases, [judge(c, a) for c, a in zip(cases, answers, strict=True)])
    assert results["n"] == 3
    assert results["exact_correction"] == 0.5  # 1 of the 2 erroneous sentences
    assert results["unchanged_correct"] == 1.0  # the 1 correct sentence
    assert results["error_code_accuracy"] == pytest.approx(2 / 3)
    assert results["spanish_exact"] == pytest.approx(2 / 3)
    assert results["intervals"]["exact_correction"]["wilson_lo"] == wilson_interval(1, 2)[0]
    tense = results["slices"]["tense"]
    assert tense["past_simple"]["exact_correction"]["value"] == 0.0
    assert tense["past_simple"]["unchanged_correct"]["n"] == 0  # no correct past sentence
    assert set(results["slices"]["error_type"]) == {
        "missing_third_person_s",
        "none",
        "overregularization_past",
    }
    table = "\n".join(render_table(results, title="t"))
    assert "| exact correction (erroneous) | 0.500 |" in table
    assert "| past_simple | 1 | 0.000 | — | 0.000 | 1.000 |" in table


def test_correction_task_cli_prints_the_table_and_ends_with_one_json_line(tmp_path: Path) -> None:
    from minimodel.data import load_tokenizer
    from minimodel.mini_gpt import MiniGPT, MiniGPTConfig
    from minitrain.checkpoint import save_checkpoint
    from minitrain.config import TrainConfig
    from minitrain.trainer import Trainer

    tokenizer = load_tokenizer()
    cfg = MiniGPTConfig(
        vocab_size=tokenizer.vocab_size, d_model=16, n_heads=2, n_layers=1, d_ff=32, context_len=96
    )
    model = MiniGPT(cfg, rng=np.random.default_rng(0))
    trainer = Trainer(
        model,
        [[1, 2, 3]],
        [[1, 2, 3]],
        TrainConfig(steps=2, warmup_steps=0),
        context_len=96,
        progress=False,
    )
    save_checkpoint(
        tmp_path / "run" / "checkpoint",
        trainer,
        model_config={"name": "grammar", "minigpt": cfg.to_dict()},
    )
    result = CliRunner().invoke(
        cli,
        [
            "eval",
            str(tmp_path / "run"),
            "--task",
            "correction",
            "--limit",
            "6",
            "--json",
            "--out",
            str(tmp_path / "report"),
        ],
    )
    assert result.exit_code == 0, result.output
    last = json.loads(result.output.strip().splitlines()[-1])
    assert set(METRICS) | {"n"} <= set(last) and last["n"] == 6 and last["split"] == "frames/test"
    assert "| error code |" in result.output
    saved = json.loads((tmp_path / "report" / "correction.json").read_text(encoding="utf-8"))
    assert saved["n"] == 6 and (tmp_path / "report" / "CORRECTION.md").is_file()
    misuse = CliRunner().invoke(cli, ["eval", str(tmp_path / "run"), "--json"])
    assert misuse.exit_code != 0 and "apply to --task correction" in misuse.output
