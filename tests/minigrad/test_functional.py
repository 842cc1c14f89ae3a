"""minigrad.functional: softmax family and fused cross-entropy, by hand, by gradcheck and against PyTorch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minigrad.functional import cross_entropy, log_softmax, logsumexp, softmax
from minigrad.gradcheck import gradcheck
from minigrad.tensor import Tensor


def rand(*shape: int, seed: int = 0, scale: float = 2.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(scale=scale, size=shape)


# ----------------------------------------------------------------------------- hand-derived / stress


def test_softmax_of_huge_logits_is_finite() -> None:
    x = Tensor([1000.0, 1001.0, 999.0], requires_grad=True)
    y = softmax(x)
    assert np.all(np.isfinite(y.data)) and y.data.sum() == pytest.approx(1.0)
    (y * Tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad is not None and np.all(np.isfinite(x.grad))
    assert x.grad.sum() == pytest.approx(0.0, abs=1e-12)  # softmax is shift invariant


def test_cross_entropy_confident_and_correct() -> None:
    logits = Tensor([[1000.0, 0.0, 0.0]], requires_grad=True)
    loss = cross_entropy(logits, np.array([0]))
    assert loss.item() < 1e-10
    loss.backward()
    np.testing.assert_allclose(logits.grad, [[0.0, 0.0, 0.0]], atol=1e-9)


def test_cross_entropy_confident_and_wrong() -> None:
    logits = Tensor([[1000.0, 0.0, 0.0]], requires_grad=True)
    loss = cross_entropy(logits, np.array([2]))
    assert loss.item() == pytest.approx(1000.0, abs=1e-3)
    loss.backward()
    np.testing.assert_allclose(logits.grad, [[1.0, 0.0, -1.0]], atol=1e-9)


def test_cross_entropy_gradient_is_softmax_minus_one_hot_over_batch() -> None:
    x = rand(4, 3, seed=42)
    y = np.array([0, 2, 1, 0])
    logits = Tensor(x, requires_grad=True)
    cross_entropy(logits, y).backward()
    p = np.exp(x - x.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(logits.grad, (p - np.eye(3)[y]) / 4, atol=1e-12)


def test_uniform_logits_give_log_classes() -> None:
    loss = cross_entropy(Tensor(np.zeros((5, 6))), np.arange(5))
    assert loss.item() == pytest.approx(np.log(6))


def test_ignore_index_drops_positions() -> None:
    x = rand(2, 4, 5, seed=3)  # (B, T, C)
    targets = np.array([[1, 4, -100, -100], [0, 2, 3, -100]])
    logits = Tensor(x, requires_grad=True)
    loss = cross_entropy(logits, targets, ignore_index=-100)
    kept = Tensor(x[targets != -100], requires_grad=True)  # (5, C)
    expected = cross_entropy(kept, targets[targets != -100])
    assert loss.item() == pytest.approx(expected.item(), rel=1e-12)
    loss.backward()
    expected.backward()
    assert logits.grad is not None and kept.grad is not None
    np.testing.assert_array_equal(logits.grad[targets == -100], 0.0)
    np.testing.assert_allclose(logits.grad[targets != -100], kept.grad, rtol=1e-12)


def test_all_ignored_mean_is_zero_not_nan() -> None:
    logits = Tensor(rand(2, 3), requires_grad=True)
    loss = cross_entropy(logits, np.array([0, 0]), ignore_index=0)
    assert loss.item() == 0.0
    loss.backward()
    np.testing.assert_array_equal(logits.grad, 0.0)


def test_targets_may_be_an_integer_valued_tensor_or_list() -> None:
    x = rand(3, 4)
    a = cross_entropy(Tensor(x), np.array([1, 2, 3])).item()
    assert cross_entropy(Tensor(x), Tensor([1.0, 2.0, 3.0])).item() == a
    assert cross_entropy(Tensor(x), [1, 2, 3]).item() == a


def test_float32_stays_float32() -> None:
    logits = Tensor(rand(3, 4).astype(np.float32), requires_grad=True)
    loss = cross_entropy(logits, np.array([0, 1, 2]))
    assert loss.dtype == np.float32
    loss.backward()
    assert logits.grad is not None and logits.grad.dtype == np.float32
    assert softmax(logits).dtype == np.float32 and log_softmax(logits).dtype == np.float32


def _exact_log_softmax(x32: np.ndarray) -> np.ndarray:
    """The float32 inputs' log-softmax in float64: exact to ~1e-16, far below float32's resolution."""
    x = x32.astype(np.float64)
    z = x - x.max(axis=-1, keepdims=True)
    exact: np.ndarray = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return exact


def _large_float32_logits() -> np.ndarray:
    return (1000.0 + np.random.default_rng(11).standard_normal((64, 512))).astype(np.float32)


def test_float32_log_softmax_at_large_logits_is_exact_to_float32() -> None:
    """Near 1000 in float32, computing x - (max + log_norm) cancels two ~1000s and errs by ~3e-5.

    From the shifted values the only rounding is in log_norm (~ln 512 ≈ 6.2) and the final subtraction, so
    the error stays within two float32 ulps of the largest |log p| (~1.9e-6 here).
    """
    x = _large_float32_logits()  # (64, 512)
    exact = _exact_log_softmax(x)
    bound = 2 * float(np.spacing(np.float32(np.abs(exact).max())))
    targets = np.random.default_rng(12).integers(0, 512, size=64)
    ours = log_softmax(Tensor(x)).data
    ce = cross_entropy(Tensor(x), targets, reduction="none").data
    lse = logsumexp(Tensor(x)).data
    assert ours.dtype == ce.dtype == np.float32
    assert np.abs(ours - exact).max() < bound
    assert np.abs(ce + exact[np.arange(64), targets]).max() < bound
    exact_lse = x.astype(np.float64)[:, 0] - exact[:, 0]
    assert np.abs(lse - exact_lse).max() <= float(np.spacing(np.float32(1000.0)))  # one ulp at 1000


def test_float32_log_softmax_at_large_logits_is_as_exact_as_torch() -> None:
    torch = _torch()
    x = _large_float32_logits()
    exact = _exact_log_softmax(x)
    theirs = np.abs(torch.log_softmax(torch.from_numpy(x), dim=-1).numpy() - exact).max()
    ours = np.abs(log_softmax(Tensor(x)).data - exact).max()
    assert ours <= 1.5 * theirs, (ours, theirs)  # the max-add-back version was 40x worse than torch


@pytest.mark.parametrize(
    ("targets", "kwargs", "error", "match"),
    [
        (np.array([[1, 0, 0], [0, 1, 0]]), {}, ValueError, "one-hot"),
        (np.array([0]), {}, ValueError, r"must have shape \(2,\)"),
        (np.array([0, 3]), {}, ValueError, r"target 3 at position \(1,\)"),
        (np.array([0, -1]), {}, ValueError, "outside"),
        (np.array([0.5, 1.0]), {}, TypeError, "integer class indices"),
        (np.array(["a", "b"]), {}, TypeError, "integer class indices"),
        (np.array([0, 1]), {"reduction": "avg"}, ValueError, "reduction"),
        (Tensor([0.0, 1.0], requires_grad=True), {}, TypeError, "cannot require grad"),
    ],
)
def test_cross_entropy_rejects_bad_targets(
    targets: Any, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        cross_entropy(Tensor(rand(2, 3)), targets, **kwargs)


def test_softmax_family_rejects_scalars() -> None:
    with pytest.raises(ValueError, match="at least one axis"):
        softmax(Tensor(1.0))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gradcheck_softmax_family(axis: int) -> None:
    x = Tensor(rand(3, 4, seed=axis + 5), requires_grad=True)
    assert gradcheck(lambda t: softmax(t, axis=axis), [x])
    assert gradcheck(lambda t: log_softmax(t, axis=axis), [x])
    assert gradcheck(lambda t: logsumexp(t, axis=axis, keepdims=axis == 0), [x])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradcheck_cross_entropy(reduction: Any) -> None:
    x = Tensor(rand(2, 3, 5, seed=8), requires_grad=True)
    t = np.array([[0, 4, 2], [1, 1, 3]])
    assert gradcheck(lambda z: cross_entropy(z, t, reduction=reduction, ignore_index=2), [x])


# ----------------------------------------------------------------------------- PyTorch oracle


def _torch() -> Any:
    return pytest.importorskip("torch", reason="PyTorch is the float64 oracle for softmax/CE")


def _grad_pair(
    ours_fn: Any, theirs_fn: Any, x: np.ndarray, upstream: np.ndarray | None = None
) -> None:
    torch = _torch()
    t = torch.tensor(x, requires_grad=True)
    ref = theirs_fn(t)
    w = np.ones(tuple(ref.shape)) if upstream is None else upstream
    (ref * torch.from_numpy(w)).sum().backward()
    ours = Tensor(x.copy(), requires_grad=True)
    out = ours_fn(ours)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-7, atol=1e-12)
    out.backward(w)
    np.testing.assert_allclose(ours.grad, t.grad.numpy(), rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_and_log_softmax_match_torch(shape: tuple[int, ...], axis: int) -> None:
    torch = _torch()
    x = rand(*shape, seed=1, scale=5.0)
    w = np.random.default_rng(2).uniform(0.5, 1.5, size=shape)
    _grad_pair(lambda t: softmax(t, axis=axis), lambda t: torch.softmax(t, dim=axis), x, w)
    _grad_pair(lambda t: log_softmax(t, axis=axis), lambda t: torch.log_softmax(t, dim=axis), x, w)
    _grad_pair(lambda t: logsumexp(t, axis=axis), lambda t: torch.logsumexp(t, dim=axis), x * 100.0)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore", [None, 1])
def test_cross_entropy_matches_torch(reduction: Any, ignore: int | None) -> None:
    torch = _torch()
    x = rand(6, 5, seed=4, scale=3.0)
    y = np.array([0, 1, 4, 1, 3, 2])
    kwargs: dict[str, Any] = {} if ignore is None else {"ignore_index": ignore}
    upstream = (
        np.random.default_rng(3).uniform(0.5, 1.5, size=(6,)) if reduction == "none" else None
    )
    _grad_pair(
        lambda t: cross_entropy(t, y, reduction=reduction, **kwargs),
        lambda t: torch.nn.functional.cross_entropy(
            t, torch.from_numpy(y), reduction=reduction, **kwargs
        ),
        x,
        upstream,
    )


def test_sequence_cross_entropy_matches_torch_layout() -> None:
    """(B, T, V) logits with (B, T) targets here equal PyTorch's (B, V, T) convention."""
    torch = _torch()
    x = rand(2, 3, 7, seed=5)
    y = np.array([[1, 6, 0], [0, 0, 3]])

    def theirs(t: Any) -> Any:
        return torch.nn.functional.cross_entropy(
            t.permute(0, 2, 1), torch.from_numpy(y), ignore_index=0
        )

    _grad_pair(lambda t: cross_entropy(t, y, ignore_index=0), theirs, x)


def test_grammar_pipeline_matches_torch() -> None:
    """One-hot person (2sg) times a (3, 6) person-to-tense weight, cross-entropy on past_simple."""
    torch = _torch()
    person = np.array([[0.0, 1.0, 0.0]])  # (1, 3)
    w0 = np.random.default_rng(42).standard_normal((3, 6))
    target = np.array([2])
    w = Tensor(w0.copy(), requires_grad=True)
    cross_entropy(Tensor(person) @ w, target).backward()
    tw = torch.tensor(w0, requires_grad=True)
    torch.nn.functional.cross_entropy(
        torch.from_numpy(person) @ tw, torch.from_numpy(target)
    ).backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-7, atol=1e-15)
    assert w.grad is not None and np.all(w.grad[[0, 2]] == 0.0)  # only the 2sg row learns


def test_random_cross_entropy_against_torch() -> None:
    """100 random (shape, targets, ignore, reduction) draws."""
    torch = _torch()
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=100, deadline=None)
    @given(
        batch=st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple),
        classes=st.integers(1, 6),
        reduction=st.sampled_from(["mean", "sum", "none"]),
        use_ignore=st.booleans(),
        seed=st.integers(0, 2**16),
    )
    def run(
        batch: tuple[int, ...], classes: int, reduction: Any, use_ignore: bool, seed: int
    ) -> None:
        rng = np.random.default_rng(seed)
        x = rng.normal(scale=4.0, size=(*batch, classes))
        y = rng.integers(0, classes, size=batch)
        kwargs: dict[str, Any] = {"ignore_index": 0} if use_ignore else {}
        if use_ignore and reduction == "mean" and not np.any(y != 0):
            return  # all ignored: PyTorch answers nan, we answer 0.0 by design (tested above)
        flat_x, flat_y = x.reshape(-1, classes), y.reshape(-1)

        def theirs(t: Any) -> Any:
            out = torch.nn.functional.cross_entropy(
                t.reshape(-1, classes), torch.from_numpy(flat_y), reduction=reduction, **kwargs
            )
            return out.reshape(batch) if reduction == "none" else out

        upstream = rng.uniform(0.5, 1.5, size=batch) if reduction == "none" else None
        _grad_pair(
            lambda t: cross_entropy(t, y, reduction=reduction, **kwargs), theirs, x, upstream
        )
        assert flat_x.shape[0] == flat_y.shape[0]

    run()
