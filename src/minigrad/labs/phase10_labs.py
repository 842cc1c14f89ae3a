"""Phase 10 labs: the variance walk, the init ablation (three curves), the norm ablation (speed and loss),
the 50-block residual experiment, and break 10 (the residual connection removed).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from lynx_cortex.labkit import jsonable, settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minigrad import init
from minigrad.labs.phase10_deep_nets import (
    DeepMLP,
    DeepResidualMLP,
    InitName,
    NormName,
    accuracy,
    toy_task,
    train_steps,
)
from minigrad.nn import Linear
from minigrad.optim import SGD, Adam
from minigrad.tensor import Tensor

INITS: tuple[InitName, ...] = ("uniform", "xavier", "kaiming")
INIT_LABELS = {
    "uniform": "U(-0.5, 0.5)",
    "xavier": "Xavier N(0, 1/n)",
    "kaiming": "Kaiming N(0, 2/n)",
}
INIT_SIGMA2 = {"uniform": 1.0 / 12.0, "xavier": 1.0, "kaiming": 2.0}  # σ² · n_in for the last two


# --- 10-variance-walk -----------------------------------------------------------------------------------


@lab("10-variance-walk", title="Activation variance through 20 layers under three initialisations")
def variance_walk(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"depth": 10, "width": 64, "batch": 64},
            "default": {"depth": 20, "width": 256, "batch": 64},
            "full": {"depth": 20, "width": 256, "batch": 64},
        },
    )
    depth, width = cfg["depth"], cfg["width"]
    x0 = ctx.rng.normal(size=(cfg["batch"], width))  # (B, width), unit variance
    results: dict[str, Any] = {}
    fig, axes = figure(1, 2, width=12.0, height=4.6)
    for col, activation in enumerate(("linear", "relu")):
        results[activation] = {}
        for i, name in enumerate(INITS):
            rng = np.random.default_rng([ctx.seed, i])  # each init seeded separately
            z = Tensor(x0)
            per_layer = 1.0 / 12.0 * width if name == "uniform" else INIT_SIGMA2[name]
            if activation == "relu":
                per_layer /= 2.0  # ReLU keeps half of the second moment of a symmetric input
            empirical, predicted = [float(x0.var())], [float(x0.var())]
            for _ in range(depth):
                layer = Linear(width, width, rng=rng, dtype=np.float64)
                if name == "uniform":
                    init.uniform_(layer.weight, rng, -0.5, 0.5)
                else:
                    init.kaiming_normal_(
                        layer.weight, rng, nonlinearity="linear" if name == "xavier" else "relu"
                    )
                h = z.relu() if (activation == "relu" and len(empirical) > 1) else z
                with np.errstate(all="ignore"):
                    z = layer(h)  # (B, width) pre-activation
                empirical.append(float(z.data.var()))
                predicted.append(predicted[-1] * per_layer)
            results[activation][name] = {
                "empirical": empirical,
                "predicted": predicted,
                "final_variance": empirical[-1],
                "factor_per_layer": per_layer,
            }
            ax = axes[col]
            ax.semilogy(empirical, "-o", markersize=3, color=f"C{i}", label=INIT_LABELS[name])
            ax.semilogy(predicted, "--", color=f"C{i}", alpha=0.6)
        axes[col].axhline(1.0, color="grey", linestyle=":")
        axes[col].set_xlabel("layer")
        axes[col].set_ylabel("variance of pre-activations (log)")
        title = "no activation" if activation == "linear" else "ReLU between layers"
        axes[col].set_title(f"{title}: solid measured, dashed n·σ² rule")
        axes[col].legend(fontsize=8)
    save_png(fig, ctx.path("variance.png"))
    summary = {
        f"{act}_{name}_final_variance": results[act][name]["final_variance"]
        for act in results
        for name in INITS
    }
    out: Mapping[str, Any] = jsonable({"walk": results, **summary, "depth": depth, "width": width})
    return out


# --- 10-init-ablation -----------------------------------------------------------------------------------

ABLATION = {
    "smoke": {"depth": 6, "width": 64, "steps": 60, "batch": 64, "d_in": 64, "n_train": 400},
    "default": {"depth": 12, "width": 128, "steps": 300, "batch": 64, "d_in": 128, "n_train": 1000},
    "full": {"depth": 12, "width": 256, "steps": 1000, "batch": 64, "d_in": 256, "n_train": 1000},
}


def _ablation_data(ctx: LabContext, cfg: Mapping[str, Any]) -> tuple[Any, Any]:
    data_rng = np.random.default_rng([ctx.seed, 99])
    train = toy_task(cfg["n_train"], cfg["d_in"], data_rng)
    val = toy_task(200, cfg["d_in"], data_rng)
    return train, val


@lab("10-init-ablation", title="Same deep ReLU MLP, three inits: diverges, crawls, trains")
def init_ablation(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, ABLATION)
    ctx.config.update({"optimizer": "SGD momentum 0.9", "lr": 1e-3, "norm": "none"})
    train, val = _ablation_data(ctx, cfg)
    runs: dict[str, Any] = {}
    for i, name in enumerate(INITS):
        model = DeepMLP(
            cfg["d_in"],
            cfg["width"],
            cfg["depth"],
            2,
            init_name=name,
            norm="none",
            rng=np.random.default_rng([ctx.seed, i]),
        )
        opt = SGD(model.parameters(), lr=1e-3, momentum=0.9)
        curve = train_steps(
            model,
            opt,
            train,
            steps=cfg["steps"],
            batch=cfg["batch"],
            rng=np.random.default_rng([ctx.seed, 7]),  # same batches for every init
        )["loss"]
        finite = [v for v in curve if np.isfinite(v)]
        nan_at = next((t for t, v in enumerate(curve) if not np.isfinite(v)), None)
        runs[name] = {
            "loss": curve,
            "first_loss": curve[0],
            "final_loss": finite[-1] if finite else float("nan"),
            "steps_to_nan": nan_at,
            "val_accuracy": accuracy(model, val),
        }
    fig, ax = figure(width=9.0, height=5.0)
    for i, name in enumerate(INITS):
        shown = np.clip(np.array(runs[name]["loss"], dtype=float), 1e-3, 1e12)
        ax.semilogy(shown, color=f"C{i}", label=INIT_LABELS[name])
        if runs[name]["steps_to_nan"] is not None:
            t = runs[name]["steps_to_nan"]
            ax.axvline(
                t, color=f"C{i}", linestyle=":", label=f"{name}: loss became nan at step {t}"
            )
    ax.axhline(np.log(2), color="grey", linestyle="--", label="log 2 (chance)")
    ax.set_xlabel("SGD step (batch 64)")
    ax.set_ylabel("training loss (log scale, clipped to [1e-3, 1e12])")
    ax.set_title(f"{cfg['depth']}-layer ReLU MLP, width {cfg['width']}: only the init differs")
    ax.legend(fontsize=8)
    save_png(fig, ctx.path("loss_curves.png"))
    out: Mapping[str, Any] = jsonable(
        {
            "runs": runs,
            "steps_to_nan_uniform": runs["uniform"]["steps_to_nan"],
            "final_loss_uniform": runs["uniform"]["final_loss"],
            "final_loss_xavier": runs["xavier"]["final_loss"],
            "final_loss_kaiming": runs["kaiming"]["final_loss"],
        }
    )
    return out


# --- 10-norm-ablation -----------------------------------------------------------------------------------

NORMS: tuple[NormName, ...] = ("none", "batchnorm", "layernorm", "rmsnorm")


@lab(
    "10-norm-ablation", title="No norm vs BatchNorm vs LayerNorm vs RMSNorm: loss and time per step"
)
def norm_ablation(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, ABLATION)
    ctx.config.update({"optimizer": "SGD momentum 0.9", "lr": 1e-3, "init": "kaiming"})
    ctx.config["placement"] = "Linear -> Norm -> ReLU in every layer; eps 1e-5 inside the sqrt"
    train, val = _ablation_data(ctx, cfg)
    runs: dict[str, Any] = {}
    for norm in NORMS:
        model = DeepMLP(
            cfg["d_in"],
            cfg["width"],
            cfg["depth"],
            2,
            init_name="kaiming",
            norm=norm,
            rng=np.random.default_rng([ctx.seed, 3]),  # same weights for every variant
        )
        opt = SGD(model.parameters(), lr=1e-3, momentum=0.9)
        times: list[float] = []
        last = [time.perf_counter_ns()]

        def tick(times: list[float] = times, last: list[int] = last) -> float:
            now = time.perf_counter_ns()
            times.append((now - last[0]) / 1e6)
            last[0] = now
            return 0.0

        curve = train_steps(
            model,
            opt,
            train,
            steps=cfg["steps"],
            batch=cfg["batch"],
            rng=np.random.default_rng([ctx.seed, 7]),
            probe=tick,
        )["loss"]
        steady = np.array(times[1:]) if len(times) > 1 else np.array(times)
        model.eval()
        runs[norm] = {
            "loss": curve,
            "final_loss": curve[-1],
            "val_accuracy": accuracy(model, val),
            "ms_per_step_median": float(np.median(steady)),
            "ms_per_step_std": float(np.std(steady)),
        }
    fig, axes = figure(1, 2, width=12.0, height=4.6)
    for i, norm in enumerate(NORMS):
        axes[0].plot(runs[norm]["loss"], color=f"C{i}", label=norm, linewidth=1.2)
    axes[0].set_xlabel("SGD step")
    axes[0].set_ylabel("training loss (nats)")
    axes[0].set_title("Loss with each normalisation (Kaiming init)")
    axes[0].legend(fontsize=8)
    med = [runs[n]["ms_per_step_median"] for n in NORMS]
    std = [runs[n]["ms_per_step_std"] for n in NORMS]
    axes[1].bar(list(NORMS), med, yerr=std, color=[f"C{i}" for i in range(len(NORMS))], capsize=4)
    axes[1].set_ylabel("ms per training step (median, ±1 std)")
    axes[1].set_title("Cost of a step (forward + backward + update)")
    save_png(fig, ctx.path("norm_ablation.png"))
    ln, rms = runs["layernorm"]["ms_per_step_median"], runs["rmsnorm"]["ms_per_step_median"]
    out: Mapping[str, Any] = jsonable(
        {
            "runs": runs,
            "rmsnorm_vs_layernorm_time_ratio": rms / ln,
            "final_loss": {n: runs[n]["final_loss"] for n in NORMS},
        }
    )
    return out


# --- 10-deep-residual and break 10 ----------------------------------------------------------------------

RESIDUAL_SIZES = {
    "smoke": {"depth": 50, "width": 16, "steps": 60, "batch": 64},
    "default": {"depth": 50, "width": 32, "steps": 100, "batch": 64},
    "full": {"depth": 50, "width": 256, "steps": 100, "batch": 64},
}


def residual_run(ctx: LabContext, cfg: Mapping[str, Any], residual: bool) -> dict[str, Any]:
    """Train the 50-block MLP with Adam (lr 1e-3); record ‖∇W‖ of layer 1 (the input projection) per step."""
    width = cfg["width"]
    data = toy_task(1000, width, np.random.default_rng([ctx.seed, 99]))
    model = DeepResidualMLP(
        width, width, cfg["depth"], 2, residual=residual, rng=np.random.default_rng([ctx.seed, 1])
    )
    first = model.layers[0]
    assert isinstance(first, Linear)  # noqa: S101 - narrows the type for mypy

    def grad_norm() -> float:
        return float(np.linalg.norm(first.weight.grad)) if first.weight.grad is not None else 0.0

    run = train_steps(
        model,
        Adam(model.parameters(), lr=1e-3),
        data,
        steps=cfg["steps"],
        batch=cfg["batch"],
        rng=np.random.default_rng([ctx.seed, 7]),
        probe=grad_norm,
    )
    norms = run["probe"]
    tail = norms[-max(1, len(norms) // 5) :]
    below = next((t for t, g in enumerate(norms) if g < 1e-7), None)
    return {
        "residual": residual,
        "loss": run["loss"],
        "grad_norm_layer1": norms,
        "first_loss": run["loss"][0],
        "final_loss": run["loss"][-1],
        "grad_norm_layer1_final": norms[-1],
        "grad_norm_layer1_tail_median": float(np.median(tail)),
        "first_step_below_1e-7": below,
        "parameters": model.num_parameters(),
    }


@lab("10-deep-residual", title="50 pre-norm MLP blocks with and without residual connections")
def deep_residual(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, RESIDUAL_SIZES)
    ctx.config.update(
        {"optimizer": "Adam lr 1e-3", "block": "RMSNorm-Linear(d,4d)-GELU-Linear(4d,d)"}
    )
    with_res, without = residual_run(ctx, cfg, True), residual_run(ctx, cfg, False)
    fig, axes = figure(1, 2, width=12.0, height=4.6)
    for i, run in enumerate((with_res, without)):
        label = "with residual" if run["residual"] else "without residual"
        axes[0].semilogy(run["grad_norm_layer1"], color=f"C{i}", label=label)
        axes[1].plot(run["loss"], color=f"C{i}", label=label)
    axes[0].axhline(1e-7, color="grey", linestyle=":", label="1e-7")
    axes[0].axhspan(1e-3, 1e-1, color="C0", alpha=0.08, label="seed's predicted band [1e-3, 1e-1]")
    if without["first_step_below_1e-7"] is not None:
        axes[0].axvline(without["first_step_below_1e-7"], color="C1", linestyle="--")
    axes[0].set_xlabel("Adam step")
    axes[0].set_ylabel("‖∇W‖ of layer 1 (log)")
    axes[0].set_title(f"Gradient reaching layer 1 through {cfg['depth']} blocks")
    axes[0].legend(fontsize=8)
    axes[1].axhline(np.log(2), color="grey", linestyle="--", label="log 2 (chance)")
    axes[1].set_xlabel("Adam step")
    axes[1].set_ylabel("training loss (nats)")
    axes[1].set_title("Training loss")
    axes[1].legend(fontsize=8)
    save_png(fig, ctx.path("grad_norm.png"))
    out: Mapping[str, Any] = jsonable(
        {
            "with_residual": with_res,
            "without_residual": without,
            "grad_norm_layer1_final": {
                "with_residual": with_res["grad_norm_layer1_final"],
                "without_residual": without["grad_norm_layer1_final"],
            },
        }
    )
    return out


@breaks(10, title="Residual connection removed from a 50-block MLP", change="x + f(x) -> f(x)")
def residual_break(ctx: LabContext) -> BreakOutcome:
    cfg = settings(ctx, RESIDUAL_SIZES)
    keys = ("first_loss", "final_loss", "grad_norm_layer1_final", "first_step_below_1e-7")
    healthy = {k: v for k, v in residual_run(ctx, cfg, True).items() if k in keys}
    broken = {k: v for k, v in residual_run(ctx, cfg, False).items() if k in keys}
    g_ok, g_bad = healthy["grad_norm_layer1_final"], broken["grad_norm_layer1_final"]
    detected = g_bad < 1e-4 * g_ok and broken["final_loss"] > healthy["final_loss"]
    symptom = (
        f"without the residual the gradient reaching layer 1 vanishes: ‖∇W1‖ {g_ok:.2e} -> {g_bad:.2e}, "
        f"and the loss stalls near log 2 ({broken['final_loss']:.3f} vs {healthy['final_loss']:.3f})"
    )
    return BreakOutcome(
        healthy=jsonable(healthy), broken=jsonable(broken), symptom=symptom, detected=detected
    )
