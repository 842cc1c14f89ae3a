"""minigrad.optim: step-by-step parity with torch.optim, the worked Adam example, Rosenbrock behaviour."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from minigrad.landscapes import ROSENBROCK_MIN, ravine_grad, rosenbrock_grad
from minigrad.optim import OptState, adam_step, adamw_step, momentum_step, sgd_step


def _torch_run(name: str, hyper: dict[str, Any], steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Run torch.optim and our step on the same loss sum(A θ - b)² / 2 from the same start."""
    torch = pytest.importorskip("torch", reason="torch.optim is the oracle for the update rules")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((6, 4)), rng.standard_normal(6)
    theta0 = rng.standard_normal(4)
    param = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    at, bt = torch.tensor(a), torch.tensor(b)
    opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[name](
        [param], **hyper
    )
    ours = theta0.copy()
    state: OptState = {}
    step: Callable[..., tuple[np.ndarray, OptState]] = {
        "sgd": momentum_step if hyper.get("momentum") else sgd_step,
        "adam": adam_step,
        "adamw": adamw_step,
    }[name]
    kwargs = dict(hyper)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    if name == "sgd" and not hyper.get("momentum"):
        kwargs.pop("momentum", None)
    for _ in range(steps):
        opt.zero_grad()
        loss = 0.5 * ((at @ param - bt) ** 2).sum()
        loss.backward()
        opt.step()
        grad = a.T @ (a @ ours - b)  # (4,)
        ours, state = step(ours, grad, state, **kwargs)
    return ours, param.detach().numpy()


@pytest.mark.parametrize(
    ("name", "hyper"),
    [
        ("sgd", {"lr": 0.05}),
        ("sgd", {"lr": 0.05, "weight_decay": 0.1}),
        ("sgd", {"lr": 0.02, "momentum": 0.9}),
        ("sgd", {"lr": 0.02, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.01}),
        ("sgd", {"lr": 0.02, "momentum": 0.9, "nesterov": True}),
        ("adam", {"lr": 0.01}),
        ("adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.05}),
        ("adamw", {"lr": 0.01, "weight_decay": 0.1}),
        ("adamw", {"lr": 0.01, "betas": (0.9, 0.95), "weight_decay": 0.0}),
    ],
)
def test_matches_torch_optim_over_100_steps(name: str, hyper: dict[str, Any]) -> None:
    ours, theirs = _torch_run(name, hyper, steps=100)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_adam_worked_example_on_theta_squared() -> None:
    theta, state = np.array([1.0]), {}
    theta, state = adam_step(theta, 2 * theta, state, lr=0.1)
    assert theta[0] == pytest.approx(0.9, abs=1e-9)  # the first step is lr * sign(g)
    theta, state = adam_step(theta, 2 * theta, state, lr=0.1)
    assert theta[0] == pytest.approx(0.8004, abs=1e-4)
    assert state["step"] == 2
    sgd = np.array([1.0])
    for _ in range(2):
        sgd, _ = sgd_step(sgd, 2 * sgd, lr=0.1)
    assert sgd[0] == pytest.approx(0.64)  # (1 - 2 * 0.1)^2


def test_adamw_without_decay_is_exactly_adam() -> None:
    rng = np.random.default_rng(1)
    p1 = p2 = rng.standard_normal(5)
    s1: OptState = {}
    s2: OptState = {}
    for _ in range(50):
        g = rng.standard_normal(5)
        p1, s1 = adam_step(p1, g, s1, lr=1e-2)
        p2, s2 = adamw_step(p2, g, s2, lr=1e-2, weight_decay=0.0)
    assert np.array_equal(p1, p2)


def test_decoupled_decay_differs_from_l2_and_shrinks_weights() -> None:
    p = np.array([10.0, -10.0])
    zero = np.zeros(2)
    decoupled, _ = adamw_step(p, zero, lr=0.1, weight_decay=0.1)
    np.testing.assert_allclose(decoupled, p * (1 - 0.1 * 0.1))
    coupled, _ = adam_step(p, zero, lr=0.1, weight_decay=0.1)
    np.testing.assert_allclose(np.abs(coupled), np.abs(p) - 0.1, rtol=1e-6)  # Adam rescales to ~lr


def test_steps_are_pure() -> None:
    p, g = np.ones(3), np.full(3, 0.5)
    state: OptState = {}
    new_p, new_state = momentum_step(p, g, state, lr=0.1)
    assert state == {} and np.array_equal(p, np.ones(3))
    buf = new_state["momentum_buffer"]
    assert isinstance(buf, np.ndarray)
    momentum_step(new_p, g, new_state, lr=0.1)
    np.testing.assert_array_equal(new_state["momentum_buffer"], buf)


def _run(step: Callable[..., tuple[np.ndarray, OptState]], n: int, **hyper: float) -> np.ndarray:
    p, state = np.array([-1.5, 2.0]), {}
    for _ in range(n):
        p, state = step(p, rosenbrock_grad(p), state, **hyper)
    return p


def test_rosenbrock_adam_converges_and_beats_sgd() -> None:
    adam = np.linalg.norm(_run(adam_step, 2000, lr=5e-2) - ROSENBROCK_MIN)
    sgd = np.linalg.norm(_run(sgd_step, 2000, lr=2e-3) - ROSENBROCK_MIN)
    assert adam < 0.1
    assert sgd > adam


def test_momentum_damps_the_ravine_zigzag() -> None:
    def final(momentum: float) -> float:
        p, state = np.array([10.0, 1.0]), {}
        for _ in range(100):
            p, state = momentum_step(p, ravine_grad(p), state, lr=0.035, momentum=momentum)
        return float(np.linalg.norm(p))

    assert final(0.9) < final(0.0) / 4  # measured: 0.045 vs 0.28


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sgd_step(np.ones(2), np.ones(3), lr=0.1), "does not match"),
        (lambda: sgd_step(np.ones(2), np.ones(2), lr=-1.0), "lr"),
        (lambda: momentum_step(np.ones(2), np.ones(2), lr=0.1, momentum=1.0), "momentum"),
        (
            lambda: momentum_step(np.ones(2), np.ones(2), lr=0.1, momentum=0.0, nesterov=True),
            "nesterov",
        ),
        (lambda: adam_step(np.ones(2), np.ones(2), lr=0.1, betas=(0.9, 1.2)), "beta2"),
        (lambda: adamw_step(np.ones(2), np.ones(2), lr=0.1, weight_decay=-0.1), "weight_decay"),
        (lambda: adam_step(np.ones(2), np.ones(2), {"step": "3"}, lr=0.1), "step"),
    ],
)
def test_bad_hyperparameters_are_named(call: Callable[[], object], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        call()
