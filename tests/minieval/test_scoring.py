"""Candidate scoring, perplexity, the harness and REPORT.md against a fake model with hand-set preferences."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from minicorpus.framing import prompt as frame
from minieval.harness import evaluate, probe_set_hash
from minieval.metrics import pass_at_k_table
from minieval.probes import Probe
from minieval.report import (
    INTERPRETATION_MARKER,
    SECTIONS,
    render_report,
    results_json,
    write_report_dir,
)
from minieval.scoring import continuation_logprob, score_probe, sequence_nll
from minigrad.tensor import Tensor

V = 96  # fake vocabulary size
_WORDS = re.compile(r"<\|[a-z]+\|>| ?[^\s<]+")


@dataclass
class WordEncoder:
    """One id per (space-prefixed) word, assigned on first sight; specials are single tokens."""

    vocab: dict[str, int] = field(default_factory=dict)

    def encode(self, text: str, *, allowed_special: object = frozenset()) -> list[int]:
        ids = []
        for word in _WORDS.findall(text):
            if word not in self.vocab:
                if len(self.vocab) >= V:
                    raise AssertionError("fake vocabulary full")
                self.vocab[word] = len(self.vocab)
            ids.append(self.vocab[word])
        return ids


@dataclass(frozen=True)
class Cfg:
    context_len: int


@dataclass
class BigramModel:
    """logits[t] = `strength` at the id of prefs[word at t] (if any), 0 elsewhere."""

    encoder: WordEncoder
    prefs: Mapping[str, str]
    strength: float = 4.0
    config: Cfg = field(default_factory=lambda: Cfg(64))
    seen: list[list[int]] = field(default_factory=list)

    def __call__(self, ids: np.ndarray) -> Tensor:
        self.seen.append(ids[0].tolist())
        words = {i: w for w, i in self.encoder.vocab.items()}
        logits = np.zeros((ids.shape[1], V))  # (T, V)
        for t, tok in enumerate(ids[0]):
            nxt = self.prefs.get(words.get(int(tok), ""))
            if nxt is not None:
                logits[t, self.encoder.encode(nxt)[0]] = self.strength
        return Tensor(logits[None])  # (1, T, V)

    def logp(self, boosted: bool) -> float:
        """The log-probability of one token under a row with one boosted entry."""
        z = np.log(np.exp(self.strength) + V - 1)
        return float((self.strength if boosted else 0.0) - z)


def make_probe(**over: object) -> Probe:
    base: dict[str, object] = {
        "id": "probe-t-001",
        "language": "en",
        "verb": "work",
        "regularity": "regular",
        "tense": "present_simple",
        "person": "3sg",
        "prompt": "Every day she ___ at the office.",
        "candidates": ("works", "work", "worked"),
        "expected": "works",
        "acceptable": ("works",),
        "given": "work",
        "label": "incorrect",
        "category": "core",
    }
    base.update(over)
    return Probe(**base)  # type: ignore[arg-type]


def test_scores_the_candidate_right_after_the_text_before_the_blank() -> None:
    enc = WordEncoder()
    model = BigramModel(enc, {" she": " works"})
    probe = make_probe()
    scores = score_probe(model, enc, probe)
    assert scores.pick == "works"
    context = enc.encode(frame("Every day she work at the office.") + "Every day she")
    # every forward pass saw the framed shown sentence, the text before the blank, then the candidate only
    for seen, cand in zip(model.seen, probe.candidates, strict=True):
        assert seen == context + enc.encode(" " + cand)
    np.testing.assert_allclose(
        scores.scores, [model.logp(True), model.logp(False), model.logp(False)]
    )
    assert math.isclose(sum(scores.probs), 1.0)
    assert scores.confidence == max(scores.probs)


def test_seed_prefix_bug_would_score_the_wrong_span() -> None:
    # The seed's prefix ("Every day she  at the office.") is longer than the text before the blank, so its
    # "candidate tokens" would be the sentence tail. Ours end with the candidate itself.
    probe = make_probe()
    assert probe.before_blank == "Every day she "
    assert probe.prompt.replace("___", "").rstrip() != probe.before_blank.rstrip()


def test_length_normalisation_divides_by_candidate_tokens() -> None:
    enc = WordEncoder()
    model = BigramModel(enc, {" I": " will", " will": " go"})
    probe = make_probe(
        verb="go",
        regularity="irregular",
        tense="future_will",
        person="1sg",
        prompt="Tomorrow I ___ home.",
        candidates=("will go", "went"),
        expected="will go",
        acceptable=("will go",),
        given="went",
    )
    scores = score_probe(model, enc, probe)
    assert scores.n_tokens == (2, 1)
    np.testing.assert_allclose(scores.scores[0], model.logp(True))  # (2 boosted) / 2
    assert scores.pick == "will go"


def test_sentence_initial_blank_has_no_leading_space() -> None:
    enc = WordEncoder()
    model = BigramModel(enc, {"<|sep|>": "Tengo"})
    probe = make_probe(
        language="es",
        verb="have",
        regularity="irregular",
        person="1sg",
        prompt="___ una bicicleta.",
        candidates=("Tengo", "Tiene"),
        expected="Tengo",
        acceptable=("Tengo",),
        given="Tiene",
    )
    assert score_probe(model, enc, probe).pick == "Tengo"


def test_continuation_crops_the_context_on_the_left() -> None:
    enc = WordEncoder()
    model = BigramModel(enc, {" b": " c"}, config=Cfg(3))
    ctx = enc.encode("x y z a b")
    assert continuation_logprob(model, ctx, enc.encode(" c")) == pytest.approx(model.logp(True))
    assert len(model.seen[-1]) == 3
    with pytest.raises(ValueError, match="does not fit context_len 3"):
        continuation_logprob(model, ctx, enc.encode(" a b c"))


def test_sequence_nll_matches_hand_count_across_windows() -> None:
    enc = WordEncoder()
    model = BigramModel(enc, {" a": " b"}, config=Cfg(3))
    ids = enc.encode(" a b a b a c a")
    # 6 predictions: a->b twice (boosted), a->c once (against the preference), b->a, b->a, c->a (uniform rows)
    nll, n = sequence_nll(model, ids)
    assert n == 6
    expected = -(2 * model.logp(True) + model.logp(False) - 3 * math.log(V))
    assert nll == pytest.approx(expected)


def _harness_inputs() -> tuple[WordEncoder, BigramModel, list[Probe], list[Probe]]:
    enc = WordEncoder()
    # The model "knows" 3sg -s after she and the irregular past after I, but over-regularises after you/he.
    model = BigramModel(enc, {" she": " works", " I": " went", " you": " goed", " he": " eated"})
    core = [
        make_probe(id="probe-a", given="work", label="incorrect"),
        make_probe(id="probe-b", given="works", label="correct", language="es"),
        make_probe(
            id="probe-c",
            verb="go",
            regularity="irregular",
            tense="past_simple",
            person="1sg",
            prompt="Yesterday I ___ home.",
            candidates=("went", "goed", "go"),
            expected="went",
            acceptable=("went",),
            given="went",
            label="correct",
        ),
        make_probe(
            id="probe-d",
            verb="go",
            regularity="irregular",
            tense="past_simple",
            person="1sg",
            prompt="Then you ___ home.",
            candidates=("went", "goed"),
            expected="went",
            acceptable=("went",),
            given="goed",
            label="incorrect",
        ),
    ]
    adversarial = [
        make_probe(
            id="adv-1",
            verb="eat",
            regularity="irregular",
            tense="past_simple",
            prompt="At noon he ___ soup.",
            candidates=("ate", "eated"),
            expected="ate",
            acceptable=("ate",),
            given="eated",
            category="adversarial",
            reason_code="over_regularization",
        )
    ]
    return enc, model, core, adversarial


def test_harness_numbers_follow_the_models_preferences(tmp_path: Path) -> None:
    enc, model, core, adversarial = _harness_inputs()
    results = evaluate(
        model,
        enc,
        core,
        adversarial,
        perplexity_sets={"toy": [enc.encode(" she works")]},
        meta={"seed": 0},
    )
    assert results["accuracy"]["n"] == 4 and results["n_cropped"] == 0
    assert results["accuracy"]["correct"] == 3  # probe-d keeps the wrong "goed"
    by_id = {r["id"]: r for r in results["predictions"]}
    assert by_id["probe-a"]["pick"] == "works" and by_id["probe-a"]["implied_label"] == "incorrect"
    assert by_id["probe-b"]["implied_label"] == "correct"
    assert by_id["adv-1"]["correct"] is False
    assert results["adversarial"]["by_category"]["over_regularization"]["low_sample"] is True
    assert results["confusion"]["matrix"] == [[2, 0, 0], [1, 1, 0], [0, 0, 0]]
    assert results["perplexity"]["toy"]["ppl"] == pytest.approx(math.exp(-model.logp(True)))
    lang = {r["slice_value"]: r for r in results["slices"] if r["slice_name"] == "language"}
    assert (lang["es"]["n"], lang["en"]["n"]) == (1, 3)
    assert results["meta"]["probe_set_sha256"] == probe_set_hash([*core, *adversarial])


def test_results_json_is_byte_identical_and_report_has_8_sections(tmp_path: Path) -> None:
    enc, model, core, adversarial = _harness_inputs()
    first = results_json(evaluate(model, enc, core, adversarial, meta={"seed": 1}))
    enc2, model2, core2, adv2 = _harness_inputs()
    assert results_json(evaluate(model2, enc2, core2, adv2, meta={"seed": 1})) == first
    assert json.loads(first)["calibration"]["n_bins"] == 10
    results = json.loads(first)
    paths = write_report_dir(results, tmp_path / "ckpt", checkpoint_name="toy")
    names = {p.name for p in paths}
    assert names >= {
        "results.json",
        "per_slice.csv",
        "REPORT.md",
        "reliability.png",
        "per_slice.png",
    }
    assert (tmp_path / "ckpt" / "results.json").read_text() == first
    report = (tmp_path / "ckpt" / "REPORT.md").read_text()
    positions = [report.index(h) for h in SECTIONS]
    assert positions == sorted(positions) and len(SECTIONS) == 8
    assert INTERPRETATION_MARKER in report
    assert "over_regularization (low sample)" in report
    header = (tmp_path / "ckpt" / "per_slice.csv").read_text().splitlines()[0]
    assert header == "slice_name,slice_value,n,correct,accuracy,wilson_lo,wilson_hi"
    assert (tmp_path / "ckpt" / "reliability.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Not run for this report" in report  # no generation sub-eval in these results
    results["pass_at_k"] = pass_at_k_table({"past:3sg": [True, False] * 10})
    assert "| past:3sg | 0.500 | 1.000 |" in render_report(results, checkpoint_name="toy")


def test_results_json_replaces_non_finite_numbers() -> None:
    text = results_json({"a": float("nan"), "b": -0.0, "c": 1 / 3})
    assert json.loads(text) == {"a": None, "b": 0.0, "c": 0.333333}


@dataclass
class HashModel:
    """Logits that are a fixed pseudo-random function of (position, token): a stand-in for an untrained model."""

    vocab_size: int
    config: Cfg

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        t = np.arange(ids.shape[1])[:, None]  # (T, 1)
        z = np.sin(ids[0][:, None] * 12.9898 + t * 78.233 + np.arange(self.vocab_size)[None] * 0.37)
        return z[None]  # (1, T, V)


def test_shipped_probes_run_through_the_shipped_tokenizer() -> None:
    from lynx_cortex.paths import data_dir
    from minieval.probes import load_probes
    from minimodel.data import load_tokenizer

    tok = load_tokenizer()
    core = load_probes(data_dir() / "eval" / "probes.jsonl")
    adv = load_probes(data_dir() / "eval" / "adversarial.jsonl")
    wide = evaluate(HashModel(tok.vocab_size, Cfg(128)), tok, core, adv)
    assert wide["accuracy"]["n"] == len(core) and wide["n_cropped"] == 0
    narrow = evaluate(HashModel(tok.vocab_size, Cfg(32)), tok, core, adv)
    assert narrow["n_cropped"] > 0  # the tiny config's 32-token window cuts most framed probes
