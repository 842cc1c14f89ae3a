from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad.functional import cross_entropy
from minigrad.gradcheck import gradcheck
from minigrad.tensor import Tensor
from minimodel.embedding import (
    CBOW,
    cosine_matrix,
    effective_rank,
    make_cbow_pairs,
    make_embedding,
    nearest,
    pca_project,
    tied_logits,
    train_cbow,
)


def test_lookup_shapes_and_rows() -> None:
    emb = make_embedding(64, 32, rng=np.random.default_rng(0))
    assert emb(np.array([1, 2, 3])).shape == (3, 32)
    out = emb(np.array([[5, 7], [7, 0]]))
    assert out.shape == (2, 2, 32)
    np.testing.assert_array_equal(out.data[1, 0], emb.weight.data[7])


def test_lookup_equals_one_hot_matmul() -> None:
    emb = make_embedding(10, 4, rng=np.random.default_rng(1))
    ids = np.array([3, 0, 9])
    one_hot = np.eye(10)[ids]  # (3, V)
    np.testing.assert_allclose(emb(ids).data, one_hot @ emb.weight.data)


def test_out_of_range_and_non_integer_ids_are_refused() -> None:
    emb = make_embedding(64, 32, rng=np.random.default_rng(0))
    with pytest.raises(IndexError, match="index 100 is outside 0..63"):
        emb(np.array([1, 100]))
    with pytest.raises(TypeError, match="needs integer indices"):
        emb(np.array([1.5]))


def test_duplicate_ids_sum_their_gradients() -> None:
    emb = make_embedding(6, 2, rng=np.random.default_rng(0))
    emb(np.array([3, 3])).backward(np.array([[1.0, 2.0], [4.0, 5.0]]))
    assert emb.weight.grad is not None
    np.testing.assert_array_equal(emb.weight.grad[3], [5.0, 7.0])
    assert np.count_nonzero(emb.weight.grad.any(axis=1)) == 1


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 7), min_size=1, max_size=12))
def test_gradient_is_a_histogram_of_ids(ids: list[int]) -> None:
    emb = make_embedding(8, 3, rng=np.random.default_rng(0))
    emb(np.array(ids)).sum().backward()
    assert emb.weight.grad is not None
    np.testing.assert_array_equal(emb.weight.grad[:, 0], np.bincount(ids, minlength=8))


def test_cbow_matches_torch() -> None:
    torch = pytest.importorskip("torch", reason="torch is an optional oracle")
    model = CBOW(11, 5, rng=np.random.default_rng(2))
    contexts = np.array([[1, 2, 4, 4], [0, 10, 3, 2]])
    centres = np.array([3, 7])
    loss = cross_entropy(model(contexts), centres)
    loss.backward()
    ours = [model.embed.weight, model.w_out, model.b_out]
    e, w, b = (torch.tensor(p.data, requires_grad=True) for p in ours)
    logits = e[torch.tensor(contexts)].mean(1) @ w.T + b
    expected = torch.nn.functional.cross_entropy(logits, torch.tensor(centres))
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), abs=1e-12)
    for mine, theirs in zip(ours, (e, w, b), strict=True):
        np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), atol=1e-12)
    assert {name for name, _ in model.named_parameters()} == {"embed.weight", "w_out", "b_out"}


def test_cbow_pairs() -> None:
    contexts, centres = make_cbow_pairs([[1, 2, 3, 4, 5, 6], [7, 8, 9]], window=2)
    np.testing.assert_array_equal(contexts, [[1, 2, 4, 5], [2, 3, 5, 6]])
    np.testing.assert_array_equal(centres, [3, 4])
    with pytest.raises(ValueError, match="no sequence is longer"):
        make_cbow_pairs([[1, 2, 3]], window=2)


def test_cbow_learns_a_deterministic_language() -> None:
    """Each centre is a function of its context: loss must fall far below log V."""
    rng = np.random.default_rng(0)
    seqs = [[(s + i) % 12 for i in range(9)] for s in range(12)] * 4
    contexts, centres = make_cbow_pairs(seqs, window=2)
    model = CBOW(12, 8, rng=rng)
    history = train_cbow(model, contexts, centres, rng=rng, epochs=30, batch_size=16, lr=0.3)
    assert history.initial_loss == pytest.approx(np.log(12), abs=0.05)
    assert history.epoch_losses[-1] < 0.2


def test_tied_head_refuses_mismatched_vocabularies() -> None:
    emb = make_embedding(512, 8, rng=np.random.default_rng(0))
    h = Tensor(np.ones((2, 3, 8)))
    assert tied_logits(h, emb, 512).shape == (2, 3, 512)
    with pytest.raises(ValueError, match="needs 256 classes but the embedding has 512 rows"):
        tied_logits(h, emb, 256)


def test_tied_head_gradient_sums_both_uses() -> None:
    emb = make_embedding(5, 3, rng=np.random.default_rng(4))
    ids = np.array([[0, 3, 3]])
    assert gradcheck(lambda w: (w[ids] @ w.T).sum(), [emb.weight])


def test_geometry_tools() -> None:
    a = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])
    np.testing.assert_allclose(np.diag(cosine_matrix(a)), 1.0)
    assert cosine_matrix(a)[0, 2] == pytest.approx(1 / np.sqrt(2))
    table = np.array([[1.0, 0.0], [10.0, 0.5], [0.9, 0.3], [-1.0, 0.0]])
    assert nearest(table, 0, 1, metric="cosine") == [1]
    assert nearest(table, 0, 1, metric="euclidean") == [2]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 1)) @ np.array([[3.0, 4.0, 0.0]]) + 0.01 * rng.standard_normal(
        (200, 3)
    )
    proj, share = pca_project(x, 2)
    assert proj.shape == (200, 2) and share[0] > 0.99


def test_effective_rank() -> None:
    assert effective_rank(np.eye(7)) == pytest.approx(7.0)
    assert effective_rank(np.outer(np.arange(1, 6), np.ones(4))) == pytest.approx(1.0)
    assert effective_rank(np.zeros((3, 3))) == 0.0
