from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from minigrad import Tensor
from minirag.biencoder import (
    BiEncoder,
    BiEncoderConfig,
    _pooled,
    grammar_embeddings,
    train_biencoder,
)
from minirag.chunk import Chunk
from minirag.kb import Rule
from minirag.synth import training_pairs
from minitoken.shipped import load_shipped

from .conftest import FIXTURE_QUERIES


@pytest.fixture(scope="module")
def trained(rules: list[Rule], chunks: list[Chunk]) -> tuple[BiEncoder, dict]:  # type: ignore[type-arg]
    return train_biencoder(
        rules, chunks, load_shipped(), grammar_embeddings(), BiEncoderConfig(steps=120)
    )


def test_training_beats_chance(trained: tuple[BiEncoder, dict]) -> None:  # type: ignore[type-arg]
    _, summary = trained
    assert summary["loss_last10"] < 0.5 * summary["chance_loss"] < summary["loss_first"]


def test_training_is_seeded(
    rules: list[Rule], chunks: list[Chunk], trained: tuple[BiEncoder, dict]
) -> None:  # type: ignore[type-arg]
    again, _ = train_biencoder(
        rules, chunks, load_shipped(), grammar_embeddings(), BiEncoderConfig(steps=120)
    )
    np.testing.assert_array_equal(again.proj, trained[0].proj)


def test_numpy_encoder_equals_training_graph(trained: tuple[BiEncoder, dict]) -> None:  # type: ignore[type-arg]
    enc = trained[0]
    texts = ["past participle of eat", "¿cuál es el pasado de write?", "go"]
    graph = _pooled(Tensor(enc.table), enc.ids(texts), Tensor(enc.attn), Tensor(enc.proj)).data
    np.testing.assert_allclose(enc.embed(texts), graph, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(enc.embed(texts), axis=1), 1.0, rtol=1e-5)


def test_padding_does_not_change_an_embedding(trained: tuple[BiEncoder, dict]) -> None:  # type: ignore[type-arg]
    enc = trained[0]
    alone = enc.embed(["go"])
    padded = enc.embed(["go", "a much longer text that forces padding on the first row"])[:1]
    np.testing.assert_allclose(alone, padded, rtol=1e-6, atol=1e-7)


def test_save_load_round_trip(trained: tuple[BiEncoder, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    enc = trained[0]
    enc.save(tmp_path, {"note": "test"})
    again = BiEncoder.load(tmp_path, load_shipped())
    np.testing.assert_array_equal(again.embed(["eaten"]), enc.embed(["eaten"]))
    assert json.loads((tmp_path / "biencoder.json").read_text())["note"] == "test"


def test_pairs_come_from_the_kb_not_the_eval_queries(rules: list[Rule]) -> None:
    pairs = training_pairs(rules)
    assert set(pairs) == {r.id for r in rules}
    assert "past participle of eat" in pairs["irregular-eat"]
    eval_queries = {
        json.loads(line)["query"] for line in (FIXTURE_QUERIES / "retrieval.jsonl").open()
    }
    assert not eval_queries & {t for ts in pairs.values() for t in ts}


def test_error_rules_train_on_their_own_codes_wrong_phrases() -> None:
    from minirag.facets import errors_in
    from minirag.kb import load_rules
    from minirag.synth import error_questions

    rules = {r.id: r for r in load_rules() if r.lang == "en"}
    for rid in ("error-wrong-aux-will-with-to", "error-bare-participle-missing-aux"):
        bare = error_questions(rules[rid])[::3]  # the "{wrong}" template: the phrase as pasted
        code = rid.removeprefix("error-").replace("-", "_")
        assert bare and all(code in errors_in(t) for t in bare)
    assert error_questions(rules["irregular-eat"]) == []
