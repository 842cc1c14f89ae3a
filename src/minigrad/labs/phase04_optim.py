"""Phase 04 labs: four optimisers race down Rosenbrock's valley; the learning-rate schedules side by side;
break 04 (momentum switched off).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minigrad.landscapes import ROSENBROCK_MIN, rosenbrock, rosenbrock_grad
from minigrad.optim import OptState, adam_step, adamw_step, momentum_step, sgd_step
from minigrad.schedules import constant, cosine, linear_warmup, step_decay, warmup_cosine, wsd

Step = Callable[..., tuple[np.ndarray, OptState]]

#: (label, step function, its hyper-parameters): learning rates tuned per optimiser, as the seed does.
RACERS: list[tuple[str, Step, dict[str, float]]] = [
    ("SGD (lr 2e-3)", sgd_step, {"lr": 2e-3}),
    ("momentum 0.9 (lr 2e-3)", momentum_step, {"lr": 2e-3, "momentum": 0.9}),
    ("Adam (lr 5e-2)", adam_step, {"lr": 5e-2}),
    ("AdamW wd 0.01 (lr 5e-2)", adamw_step, {"lr": 5e-2, "weight_decay": 0.01}),
]


def trajectory(step: Step, steps: int, start: tuple[float, float], **hyper: Any) -> np.ndarray:
    """Positions visited on Rosenbrock, (steps + 1, 2), starting at `start`."""
    p = np.array(start, dtype=np.float64)
    state: OptState = {}
    path = [p]
    for _ in range(steps):
        p, state = step(p, rosenbrock_grad(p), state, **hyper)
        path.append(p)
    return np.array(path)  # (steps + 1, 2)


@lab("04-rosenbrock-race", title="SGD vs momentum vs Adam vs AdamW on the Rosenbrock valley")
def rosenbrock_race(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx, {"smoke": {"steps": 1500}, "default": {"steps": 2000}, "full": {"steps": 5000}}
    )
    start = (-1.5, 2.0)
    ctx.config["start"] = list(start)
    ctx.config["racers"] = {label: hyper for label, _, hyper in RACERS}
    paths = {label: trajectory(step, cfg["steps"], start, **hyper) for label, step, hyper in RACERS}
    adam = trajectory(adam_step, cfg["steps"], start, lr=5e-2)
    adamw0 = trajectory(adamw_step, cfg["steps"], start, lr=5e-2, weight_decay=0.0)
    final = {
        label: {
            "final_point": path[-1].tolist(),
            "distance_to_minimum": float(np.linalg.norm(path[-1] - ROSENBROCK_MIN)),
            "final_loss": rosenbrock(path[-1]),
        }
        for label, path in paths.items()
    }
    fig, axes = figure(1, 2, width=12.0, height=5.0)
    gx, gy = np.meshgrid(np.linspace(-2, 2, 300), np.linspace(-1, 3, 300))
    gz = (1 - gx) ** 2 + 100 * (gy - gx**2) ** 2
    axes[0].contour(gx, gy, gz, levels=np.logspace(-1, 3, 20), cmap="viridis", linewidths=0.6)
    for i, (label, path) in enumerate(paths.items()):
        axes[0].plot(path[:, 0], path[:, 1], "-", color=f"C{i}", linewidth=1.2, label=label)
        axes[0].plot(*path[-1], "o", color=f"C{i}")
    axes[0].plot(*start, "ks", label="start (-1.5, 2)")
    axes[0].plot(1, 1, "r*", markersize=14, label="minimum (1, 1)")
    axes[0].set_xlabel("x")
    axes[0].set_ylabel("y")
    axes[0].set_title(f"Trajectories over {cfg['steps']} steps")
    axes[0].legend(fontsize=7, loc="upper left")
    axes[0].grid(False)
    for i, (label, path) in enumerate(paths.items()):
        losses = [max(rosenbrock(p), 1e-20) for p in path]
        axes[1].semilogy(losses, color=f"C{i}", label=label)
    axes[1].set_xlabel("step")
    axes[1].set_ylabel("f(x, y) (log)")
    axes[1].set_title("Loss per step")
    axes[1].legend(fontsize=7)
    save_png(fig, ctx.path("rosenbrock_race.png"))
    return {
        "steps": cfg["steps"],
        "final": final,
        "adamw_wd0_equals_adam_max_diff": float(np.max(np.abs(adam - adamw0))),
        "winner": min(final, key=lambda k: final[k]["distance_to_minimum"]),
    }


# --- 04-lr-schedules -------------------------------------------------------------------------------------


@lab(
    "04-lr-schedules",
    title="Learning-rate schedules: constant, step, warmup, cosine, warmup+cosine, WSD",
)
def lr_schedules(ctx: LabContext) -> Mapping[str, Any]:
    total, warm = 10_000, 500
    ctx.config.update(
        {
            "eta_0": 1.0,
            "total_steps": total,
            "warmup_steps": warm,
            "step_size": 2500,
            "gamma": 0.5,
            "stable_until": 7000,
        }
    )
    curves: dict[str, Callable[[int], float]] = {
        "constant": lambda t: constant(t),
        "step decay (x0.5 every 2500)": lambda t: step_decay(t, step_size=2500, gamma=0.5),
        "linear warmup (500)": lambda t: linear_warmup(t, warmup_steps=warm),
        "cosine": lambda t: cosine(t, total_steps=total),
        "warmup + cosine (phase 18 default)": lambda t: warmup_cosine(
            t, warmup_steps=warm, total_steps=total
        ),
        "warmup-stable-decay": lambda t: wsd(
            t, warmup_steps=warm, stable_until=7000, total_steps=total
        ),
    }
    ts = np.arange(0, total + 1)
    values = {name: np.array([f(int(t)) for t in ts]) for name, f in curves.items()}
    fig, ax = figure(width=10.0, height=5.5)
    for i, (name, v) in enumerate(values.items()):
        ax.plot(ts, v, color=f"C{i}", linewidth=1.8, label=name)
    ax.set_xlabel("training step t")
    ax.set_ylabel("learning rate η(t) / η₀")
    ax.set_title(f"LR schedules (η₀ = 1, {total:,} steps, warmup {warm})")
    ax.legend(fontsize=8)
    save_png(fig, ctx.path("lr_schedules.png"))
    probes = [0, 250, 500, 2500, 5000, 7500, 9999, 10_000]
    return {
        "values_at": {name: {str(t): float(v[t]) for t in probes} for name, v in values.items()},
        "area_under_curve": {name: float(v.sum()) for name, v in values.items()},
    }


# --- break 04 --------------------------------------------------------------------------------------------


@breaks(
    4,
    title="SGD without momentum on the ravine",
    change="momentum 0.9 -> 0.0 (plain SGD), same lr 1e-3",
)
def momentum_break(ctx: LabContext) -> BreakOutcome:
    start, lr, probes = (-1.5, 1.5), 1e-3, [0, 100, 1000, 4999]
    ctx.config.update({"start": list(start), "lr": lr, "steps": 5000})

    def run(momentum: float) -> dict[str, Any]:
        path = trajectory(momentum_step, 5000, start, lr=lr, momentum=momentum)
        return {
            "momentum": momentum,
            **{f"loss@{t}": rosenbrock(path[t]) for t in probes},
            "final_point": path[-1].tolist(),
        }

    healthy, broken = run(0.9), run(0.0)
    detected = healthy["loss@1000"] < 0.01 and broken["loss@1000"] > 0.5
    symptom = (
        f"at step 1000 plain SGD is still at loss {broken['loss@1000']:.2f} while momentum reached "
        f"{healthy['loss@1000']:.1e}: without the velocity the step zig-zags across the steep walls and "
        "crawls along the flat valley floor"
        if detected
        else "no clear gap between SGD with and without momentum"
    )
    return BreakOutcome(healthy=healthy, broken=broken, symptom=symptom, detected=detected)
