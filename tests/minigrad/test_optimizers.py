"""Optimizer classes: PyTorch parity over 100 steps on one MLP, state round trips, clipping, schedulers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from minigrad.functional import cross_entropy
from minigrad.nn import Linear, Module, Sequential, Tanh
from minigrad.optim import (
    SGD,
    Adam,
    AdamW,
    LambdaLR,
    Optimizer,
    ScheduledLR,
    clip_grad_norm_,
    zero_grad,
)
from minigrad.tensor import Tensor

STEPS = 100


def _mlp(seed: int = 0) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential(
        Linear(6, 8, rng=rng, dtype=np.float64),
        Tanh(),
        Linear(8, 3, rng=rng, dtype=np.float64),
    )


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(32, 6))  # (N, 6)
    y = rng.integers(0, 3, size=32)  # (N,)
    return x, y


def _train_ours(make: Callable[[list[Any]], Optimizer]) -> list[np.ndarray]:
    model = _mlp()
    for p in model.parameters():  # biases start non-zero so weight decay acts on them too
        p.data = p.data + 0.1
    opt = make(list(model.parameters()))
    x, y = _data()
    for _ in range(STEPS):
        opt.zero_grad()
        cross_entropy(model(Tensor(x)), y).backward()
        opt.step()
    return [p.data for p in model.parameters()]


def _train_torch(make: Callable[[list[Any]], Any]) -> list[np.ndarray]:
    torch = pytest.importorskip("torch", reason="torch is the fp64 oracle for optimizer parity")
    model = _mlp()
    params = [torch.tensor(p.data + 0.1, requires_grad=True) for p in model.parameters()]
    w1, b1, w2, b2 = params
    opt = make(params)
    x, y = _data()
    xt, yt = torch.tensor(x), torch.tensor(y)
    for _ in range(STEPS):
        opt.zero_grad()
        logits = torch.tanh(xt @ w1.T + b1) @ w2.T + b2
        torch.nn.functional.cross_entropy(logits, yt).backward()
        opt.step()
    return [p.detach().numpy() for p in params]


CASES: dict[
    str, tuple[Callable[[list[Any]], Optimizer], Callable[[Any], Callable[[list[Any]], Any]]]
] = {
    "sgd": (lambda ps: SGD(ps, lr=0.1), lambda t: lambda ps: t.optim.SGD(ps, lr=0.1)),
    "sgd-momentum": (
        lambda ps: SGD(ps, lr=0.05, momentum=0.9),
        lambda t: lambda ps: t.optim.SGD(ps, lr=0.05, momentum=0.9),
    ),
    "sgd-nesterov-wd": (
        lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
        lambda t: (
            lambda ps: t.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)
        ),
    ),
    "adam": (lambda ps: Adam(ps, lr=1e-2), lambda t: lambda ps: t.optim.Adam(ps, lr=1e-2)),
    "adam-l2": (
        lambda ps: Adam(ps, lr=1e-2, betas=(0.8, 0.99), weight_decay=0.05),
        lambda t: lambda ps: t.optim.Adam(ps, lr=1e-2, betas=(0.8, 0.99), weight_decay=0.05),
    ),
    "adamw": (
        lambda ps: AdamW(ps, lr=1e-2, weight_decay=0.1),
        lambda t: lambda ps: t.optim.AdamW(ps, lr=1e-2, weight_decay=0.1),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_optim_over_100_steps(name: str) -> None:
    torch = pytest.importorskip("torch", reason="torch is the fp64 oracle for optimizer parity")
    ours_factory, theirs_factory = CASES[name]
    ours = _train_ours(ours_factory)
    theirs = _train_torch(theirs_factory(torch))
    start = [p.data + 0.1 for p in _mlp().parameters()]
    for a, b, s in zip(ours, theirs, start, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)
        assert np.max(np.abs(a - s)) > 1e-3  # the parameters really moved


def test_adamw_without_decay_is_exactly_adam() -> None:
    a = _train_ours(lambda ps: Adam(ps, lr=1e-2))
    b = _train_ours(lambda ps: AdamW(ps, lr=1e-2, weight_decay=0.0))
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y)


def test_adamw_decay_is_decoupled_from_adam_l2() -> None:
    a = _train_ours(lambda ps: Adam(ps, lr=1e-2, weight_decay=0.1))
    b = _train_ours(lambda ps: AdamW(ps, lr=1e-2, weight_decay=0.1))
    assert max(float(np.max(np.abs(x - y))) for x, y in zip(a, b, strict=True)) > 1e-4


def test_optimizer_state_dict_round_trip_resumes_identically() -> None:
    x, y = _data()

    def run(split: bool) -> list[np.ndarray]:
        model = _mlp()
        opt = Adam(model.parameters(), lr=1e-2)
        for step in range(20):
            if split and step == 10:
                saved_model, saved_opt = model.state_dict(), opt.state_dict()
                model = _mlp(seed=99)
                model.load_state_dict(saved_model)
                opt = Adam(model.parameters(), lr=1e-2)
                opt.load_state_dict(saved_opt)
            opt.zero_grad()
            cross_entropy(model(Tensor(x)), y).backward()
            opt.step()
        return [p.data for p in model.parameters()]

    for a, b in zip(run(False), run(True), strict=True):
        assert np.array_equal(a, b)


def test_param_groups_apply_their_own_options() -> None:
    model = _mlp()
    weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
    before = [p.data.copy() for p in biases]
    opt = SGD([{"params": weights}, {"params": biases, "lr": 0.0}], lr=0.1)
    x, y = _data()
    cross_entropy(model(Tensor(x)), y).backward()
    opt.step()
    assert all(np.array_equal(p.data, b) for p, b in zip(biases, before, strict=True))
    assert opt.param_groups[1]["lr"] == 0.0 and opt.param_groups[0]["lr"] == 0.1


def test_parameters_without_grad_are_skipped_and_keep_no_state() -> None:
    a, b = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    opt = Adam([a, b], lr=0.1)
    a.grad = np.ones(3)
    opt.step()
    assert np.array_equal(b.data, np.ones(2))
    assert set(opt.state) == {0}
    assert opt.state[0]["step"] == 1


def test_adam_first_step_moves_by_lr() -> None:
    # θ² at θ=1: g = 2, bias-corrected m̂/√v̂ = 1, so the first step is exactly lr (up to eps).
    theta = Tensor(np.array([1.0]), requires_grad=True)
    opt = Adam([theta], lr=0.1)
    (theta * theta).sum().backward()
    opt.step()
    assert abs(float(theta.data[0]) - 0.9) < 1e-6


def test_float32_parameters_stay_float32() -> None:
    model = Sequential(Linear(4, 2, rng=np.random.default_rng(0)))
    opt = AdamW(model.parameters(), lr=1e-3)
    out = model(Tensor(np.ones((3, 4), dtype=np.float32)))
    (out * out).mean().backward()
    opt.step()
    assert all(p.dtype == np.float32 for p in model.parameters())


def test_bad_arguments_are_named() -> None:
    p = Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="nesterov"):
        SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="more than once"):
        SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="unknown options"):
        SGD([{"params": [p], "betas": (0.9, 0.9)}], lr=0.1)
    with pytest.raises(TypeError, match="must be Tensors"):
        SGD([np.zeros(2)], lr=0.1)  # type: ignore[list-item]


def test_zero_grad_sets_none() -> None:
    model = _mlp()
    x, y = _data()
    cross_entropy(model(Tensor(x)), y).backward()
    assert all(p.grad is not None for p in model.parameters())
    zero_grad(model.parameters())
    assert all(p.grad is None for p in model.parameters())


def test_clip_grad_norm_matches_torch_and_keeps_direction() -> None:
    torch = pytest.importorskip("torch", reason="torch is the oracle for clip_grad_norm_")
    rng = np.random.default_rng(3)
    grads = [rng.normal(size=(4, 5)) * 3, rng.normal(size=(5,))]
    ours = [Tensor(np.zeros_like(g), requires_grad=True) for g in grads]
    for t, g in zip(ours, grads, strict=True):
        t.grad = g.copy()
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(theirs, grads, strict=True):
        t.grad = torch.tensor(g)
    total = clip_grad_norm_(ours, 1.0)
    total_t = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert total == pytest.approx(float(total_t), rel=1e-12)
    for t, tt in zip(ours, theirs, strict=True):
        assert t.grad is not None
        np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-12)
    assert clip_grad_norm_(ours, 10.0) == pytest.approx(1.0, rel=1e-5)  # already short: untouched


def test_clip_grad_norm_nonfinite() -> None:
    t = Tensor(np.zeros(2), requires_grad=True)
    t.grad = np.array([np.inf, 1.0])
    assert clip_grad_norm_([t], 1.0) == float("inf")
    with pytest.raises(ValueError, match="nan/inf"):
        clip_grad_norm_([t], 1.0, error_if_nonfinite=True)


def test_scheduled_lr_follows_the_schedule_function() -> None:
    from minigrad.schedules import warmup_cosine

    p = Tensor(np.zeros(1), requires_grad=True)
    opt = SGD([p], lr=0.5)
    sched = ScheduledLR(opt, "warmup_cosine", warmup_steps=10, total_steps=100)
    seen = []
    for _ in range(100):
        seen.append(sched.get_last_lr()[0])
        sched.step()
    expected = [0.5 * warmup_cosine(t, warmup_steps=10, total_steps=100) for t in range(100)]
    np.testing.assert_allclose(seen, expected, rtol=1e-12)
    state = sched.state_dict()
    other = LambdaLR(SGD([p], lr=0.5), lambda t: 1.0)
    other.load_state_dict(state)
    assert other.last_step == 100


def test_lambda_lr_matches_torch() -> None:
    torch = pytest.importorskip("torch", reason="torch.optim.lr_scheduler.LambdaLR is the oracle")
    ours = SGD([Tensor(np.zeros(1), requires_grad=True)], lr=0.3)
    theirs = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3)
    f = lambda t: 0.9**t  # noqa: E731
    a, b = LambdaLR(ours, f), torch.optim.lr_scheduler.LambdaLR(theirs, f)
    for _ in range(5):
        theirs.step()
        a.step()
        b.step()
        assert a.get_last_lr()[0] == pytest.approx(b.get_last_lr()[0], rel=1e-12)


def test_scheduled_lr_rejects_eta_0() -> None:
    opt = SGD([Tensor(np.zeros(1), requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="eta_0"):
        ScheduledLR(opt, "cosine", eta_0=2.0)
    with pytest.raises(ValueError, match="unknown schedule"):
        ScheduledLR(opt, "nope")


def test_module_subclass_parameters_feed_optimizer() -> None:
    class Quadratic(Module):
        def __init__(self) -> None:
            super().__init__()
            from minigrad.nn import Parameter

            self.theta = Parameter(np.zeros(5))

        def forward(self, target: np.ndarray) -> Tensor:
            d = self.theta - target
            return (d * d).sum()

    model = Quadratic()
    opt = SGD(model.parameters(), lr=0.1)
    target = np.arange(5.0)
    for _ in range(200):
        opt.zero_grad()
        model(target).backward()
        opt.step()
    np.testing.assert_allclose(model.theta.data, target, atol=1e-8)
