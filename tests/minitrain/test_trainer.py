"""The loop: decay groups, schedule, clipping, evaluation, early stopping, and that it learns."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from minigrad.gcpause import gc_paused
from minitrain.config import TrainConfig
from minitrain.metrics import MetricsLog, read_metrics, spectral_norm, token_nll
from minitrain.trainer import Trainer, evaluate, param_groups

FAST = TrainConfig(steps=60, warmup_steps=5, lr_max=3e-2, lr_min=3e-3, eval_every=20, batch_size=8)


def test_weight_decay_only_on_matrices(make_model: Callable[..., object]) -> None:
    model = make_model()
    groups = param_groups(model, 0.1)  # type: ignore[arg-type]
    assert [g["weight_decay"] for g in groups] == [0.1, 0.0]
    assert all(p.ndim == 2 for p in groups[0]["params"])
    assert all(p.ndim == 1 for p in groups[1]["params"])


def test_loss_falls_and_schedule_warms_up_then_decays(
    make_model: Callable[..., object], corpus: list[list[int]], tmp_path: Path
) -> None:
    log = MetricsLog(tmp_path / "metrics.jsonl")
    trainer = Trainer(make_model(), corpus[:30], corpus[30:], FAST, context_len=16, log=log)  # type: ignore[arg-type]
    records = trainer.fit()
    lrs = [r["lr"] for r in records]
    assert lrs[0] == 0.0 and lrs[5] == pytest.approx(3e-2)
    assert lrs[-1] == pytest.approx(3e-3, rel=0.05)
    assert all(a >= b for a, b in zip(lrs[5:], lrs[6:], strict=False))
    assert np.mean([r["loss"] for r in records[-10:]]) < 0.5 * records[0]["loss"]
    evals = [r for r in read_metrics(log.path) if r["kind"] == "eval"]
    assert [r["step"] for r in evals] == [0, 20, 40, 60]
    assert evals[-1]["val_loss"] < evals[0]["val_loss"]
    assert set(evals[0]["spectral"]) == {"embed", "hidden.weight"}


def test_clipping_caps_the_global_norm(
    make_model: Callable[..., object], corpus: list[list[int]]
) -> None:
    config = TrainConfig(**{**FAST.to_dict(), "grad_clip": 0.05, "steps": 10})
    trainer = Trainer(make_model(), corpus[:30], corpus[30:], config, context_len=16)  # type: ignore[arg-type]
    records = trainer.fit()
    assert all(r["grad_norm_pre"] > 0.05 for r in records)
    assert all(r["grad_norm_post"] == pytest.approx(0.05) for r in records)


def test_early_stopping_after_patience(
    make_model: Callable[..., object], corpus: list[list[int]]
) -> None:
    # an lr that only hurts: validation never improves on step 0, so patience 2 stops at the 2nd eval
    config = TrainConfig(
        steps=200, warmup_steps=1, lr_max=5.0, lr_min=5.0, eval_every=5, patience=2, grad_clip=None
    )
    trainer = Trainer(make_model(), corpus[:30], corpus[30:], config, context_len=16)  # type: ignore[arg-type]
    trainer.fit()
    assert trainer.stopped_early
    assert trainer.best_step == 0
    assert trainer.step == 10


def test_evaluate_is_the_token_mean_of_the_models_own_loss(
    make_model: Callable[..., object], corpus: list[list[int]]
) -> None:
    from minitrain.batcher import make_batch

    model = make_model()
    val = corpus[:9]
    batch = make_batch(val, list(range(9)), context_len=16)
    expected = float(model.loss(batch.inputs, batch.targets, batch.loss_mask).item())  # type: ignore[attr-defined]
    result = evaluate(model, val, batch_size=4, context_len=16, classes=["a", "b", "a"] * 3)  # type: ignore[arg-type]
    assert result.loss == pytest.approx(expected, rel=1e-5)
    assert set(result.by_class) == {"a", "b"}


def test_token_nll_matches_scipy() -> None:
    scipy_special = pytest.importorskip("scipy.special", reason="scipy is the log-softmax oracle")
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 3, 5))
    targets = rng.integers(0, 5, size=(2, 3))
    mask = np.array([[1, 1, 0], [1, 0, 0]], dtype=bool)
    expected = -np.take_along_axis(scipy_special.log_softmax(logits, -1), targets[..., None], -1)[
        ..., 0
    ]
    np.testing.assert_allclose(
        token_nll(logits, targets, mask), np.where(mask, expected, 0), atol=1e-12
    )


def test_token_nll_at_huge_logits_keeps_float64_precision() -> None:
    """Logits near 7e7: from the shifted values the NLL keeps ~1e-15; (max + lse) - x lost up to ~1e-8."""
    rng = np.random.default_rng(0)
    # (B, T, V) on a 2**-20 grid, so adding 2**26 below is exact and both calls see the same logits
    small = np.round(rng.normal(size=(2, 3, 5)) * 2.0**20) / 2.0**20
    targets = rng.integers(0, 5, size=(2, 3))
    mask = np.ones((2, 3), dtype=bool)
    reference = token_nll(small, targets, mask)  # small logits: no cancellation to lose digits in
    huge = token_nll(small + 2.0**26, targets, mask)
    np.testing.assert_allclose(huge, reference, rtol=0, atol=1e-13)


def test_spectral_norm_matches_svd() -> None:
    w = np.random.default_rng(1).normal(size=(12, 7))
    assert spectral_norm(w, iters=200) == pytest.approx(
        np.linalg.svd(w, compute_uv=False)[0], rel=1e-6
    )


def test_gc_paused_restores_state() -> None:
    import gc

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_bad_config_is_named() -> None:
    with pytest.raises(ValueError, match="warmup_steps"):
        TrainConfig(steps=10, warmup_steps=10)
    with pytest.raises(ValueError, match="unknown training options"):
        TrainConfig.from_dict({"stepz": 3})
    assert math.isfinite(TrainConfig().lr_max)
