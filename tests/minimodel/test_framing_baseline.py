from __future__ import annotations

from pathlib import Path

import pytest

from minicorpus.framing import BOS, SEP, frame_row, prompt
from minicorpus.rows import write_jsonl
from minimodel.baseline import (
    BaselineResult,
    grid_key,
    ngram_baseline,
    read_baseline,
    write_baseline,
)
from minimodel.data import encode_split, load_tokenizer
from minitoken.bpe import DEFAULT_SPECIALS

CORRECT = {
    "id": "1",
    "text": "he works",
    "spanish": "él trabaja",
    "label": "correct",
    "correct_form": None,
}
WRONG = {
    "id": "2",
    "text": "he work",
    "spanish": "él trabaja",
    "label": "mis_conjugated",
    "correct_form": "he works",
    "mis_conjugation_type": "missing_third_person_s",
}


def test_the_framing_markers_are_the_tokenizers_special_tokens() -> None:
    # minicorpus and minitoken import nothing of each other: this test is what keeps them in step.
    assert {BOS, SEP} <= set(DEFAULT_SPECIALS)
    tokenizer = load_tokenizer()
    assert len(tokenizer.encode(BOS, allowed_special="all")) == 1
    assert len(tokenizer.encode(SEP, allowed_special="all")) == 1


def test_frame_row() -> None:
    assert (
        frame_row(CORRECT)
        == "<|endoftext|>he works<|sep|>he works<|sep|>none<|sep|>él trabaja<|endoftext|>"
    )
    assert (
        frame_row(WRONG) == "<|endoftext|>he work<|sep|>he works<|sep|>missing_third_person_s"
        "<|sep|>él trabaja<|endoftext|>"
    )
    assert frame_row(WRONG).startswith(prompt("he work"))
    with pytest.raises(ValueError, match="row 2 has no correction"):
        frame_row({**WRONG, "correct_form": None})
    with pytest.raises(ValueError, match="names no error type"):
        frame_row({**WRONG, "mis_conjugation_type": None})
    with pytest.raises(ValueError, match="needs a non-empty string 'spanish'"):
        frame_row({**CORRECT, "spanish": ""})


def test_encode_split_uses_special_ids(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "processed" / "val.jsonl", [CORRECT, WRONG])
    tokenizer = load_tokenizer()
    seqs = encode_split(tokenizer, "val", data=tmp_path)
    assert len(seqs) == 2
    assert seqs[1][0] == 1 and seqs[1][-1] == 1 and seqs[1].count(3) == 3
    assert tokenizer.decode(seqs[1]) == frame_row(WRONG)
    with pytest.raises(ValueError, match="split must be one of"):
        encode_split(tokenizer, "dev", data=tmp_path)


def test_baseline_picks_the_lowest_validation_perplexity(tmp_path: Path) -> None:
    train = [[0, 1, 2, 3, 1, 2, 3], [0, 1, 2, 3]] * 5
    val = [[0, 1, 2, 3, 1, 2]]
    result = ngram_baseline(train, val, vocab_size=5, orders=(1, 2, 3), alphas=(0.01, 1.0))
    assert result.val_perplexity == min(result.grid.values())
    assert result.grid[grid_key(result.n, result.alpha)] == result.val_perplexity
    assert result.n > 1  # the sequences are deterministic given one token of context
    assert read_baseline(write_baseline(result, tmp_path / "b.json")) == result
    with pytest.raises(ValueError, match="not an n-gram baseline record"):
        BaselineResult.from_json({"n": 2})
