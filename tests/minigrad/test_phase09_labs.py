"""Phase 09 lab and break: the tense MLP reaches its documented target; GELU -> identity is detected."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lynx_cortex.errors import LynxError
from lynx_cortex.paths import data_dir
from lynx_cortex.runner import run_break, run_lab
from minicorpus.verb_table import TENSES
from minigrad.labs.phase09_tense_mlp import (
    TARGET_VAL_ACCURACY,
    build_vocab,
    char_ngrams,
    featurise,
    load_split,
)

needs_corpus = pytest.mark.skipif(
    not (data_dir() / "processed" / "train.jsonl").is_file(),
    reason="the corpus split is built by `lynx corpus build` (data/processed/*.jsonl)",
)


@pytest.fixture(autouse=True)
def _smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")


def test_char_ngrams_and_features() -> None:
    assert char_ngrams("I go", 2) == [
        "^",
        "i",
        "$",
        "^i",
        "i$",
        "^",
        "g",
        "o",
        "$",
        "^g",
        "go",
        "o$",
    ]
    vocab = build_vocab(["he goes"])
    x = featurise(["he goes", "zz"], vocab)
    assert x.shape == (2, len(vocab)) and x.dtype == np.float32
    assert x[0, vocab["^"]] == 2.0  # two words
    assert x[1].sum() == 2.0  # "z" is unseen: only the two boundary marks of "zz" count


def test_missing_or_bad_split_is_a_lynx_error(tmp_path: Path) -> None:
    with pytest.raises(LynxError, match="lynx corpus build"):
        load_split("train", root=tmp_path)
    (tmp_path / "train.jsonl").write_text('{"text": "I go", "tense": "someday"}\n')
    with pytest.raises(LynxError, match="train.jsonl:1"):
        load_split("train", root=tmp_path)


@needs_corpus
def test_tense_mlp_reaches_its_target(tmp_path: Path) -> None:
    record = run_lab("09-tense-mlp", out=tmp_path / "run")
    res = record.results
    assert res["tenses"] == list(TENSES)  # the truth table's order
    assert res["train_accuracy"] > 0.95
    assert res["val_accuracy"] >= TARGET_VAL_ACCURACY
    assert res["final_loss"] < 0.5 < np.log(6)
    conf = np.array(res["confusion"])
    assert conf.shape == (6, 6) and conf.sum() == len(load_split("val"))
    assert (tmp_path / "run" / "tense_mlp.png").stat().st_size > 10_000
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert saved["val_accuracy"] == res["val_accuracy"]


@needs_corpus
def test_break_09_detects_the_linear_collapse(tmp_path: Path) -> None:
    outcome = run_break(9, out=tmp_path / "break").outcome
    assert outcome.detected, outcome.symptom
    assert outcome.broken["affine_defect"] < 1e-4 < outcome.healthy["affine_defect"]
    assert outcome.broken["train_accuracy"] < outcome.healthy["train_accuracy"]
