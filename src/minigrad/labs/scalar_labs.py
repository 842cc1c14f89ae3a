"""Phase 07 labs and break: a scalar MLP that learns the tense-identity task, gradient checking, and `+=`→`=`.

The seed's phase-08/09 design feeds one-hot(verb) ⊕ one-hot(person) and asks for the tense. Over the full grid
every (verb, person) input appears once with *each* tense, so the label is not a function of the input and
no model can beat 1/(number of tenses). `07-scalar-mlp` measures that ceiling from the data (the Bayes
accuracy: for each distinct input, the share of its most frequent label) and trains on a design that is
learnable: the input also carries a one-hot tense cue, and verb and person remain as distractors the network
must learn to ignore. The first layer is a row lookup (one-hot times a matrix selects rows), which keeps the
scalar graph small enough to train in seconds.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lynx_cortex.atomic import write_text_atomic
from lynx_cortex.domain import domain
from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.progress import track
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minigrad.gradcheck import GradcheckError, check_gradients, gradcheck
from minigrad.scalar import Value, zero_grad


def grid_shape() -> tuple[int, int, int]:
    """(verbs, persons, tenses) of the §A13 grid, counted in the truth table: only the counts matter here."""
    table = domain()
    return len(table.verbs), len(table.persons), len(table.tenses)


#: One example: the indices of its active one-hot features, and its tense label.
Example = tuple[tuple[int, ...], int]


def grid_examples(*, with_tense_cue: bool) -> list[Example]:
    """Every (verb, person, tense) of the grid as active-feature indices over one concatenated one-hot."""
    n_verbs, n_persons, n_tenses = grid_shape()
    examples: list[Example] = []
    for verb in range(n_verbs):
        for person in range(n_persons):
            for tense in range(n_tenses):
                active = [verb, n_verbs + person]
                if with_tense_cue:
                    active.append(n_verbs + n_persons + tense)
                examples.append((tuple(active), tense))
    return examples


def bayes_accuracy(examples: Sequence[Example]) -> float:
    """The best accuracy any classifier can reach: identical inputs must get the same prediction."""
    by_input: dict[tuple[int, ...], Counter[int]] = {}
    for active, label in examples:
        by_input.setdefault(active, Counter())[label] += 1
    best = sum(counts.most_common(1)[0][1] for counts in by_input.values())
    return best / len(examples)


@dataclass
class ScalarMLP:
    """Lookup-then-tanh hidden layer and a linear output layer, every weight its own `Value`."""

    embed: list[
        list[Value]
    ]  # (features, hidden): row i is one-hot feature i times the first weights
    b1: list[Value]  # (hidden,)
    w2: list[list[Value]]  # (classes, hidden)
    b2: list[Value]  # (classes,)

    @classmethod
    def create(
        cls, n_features: int, hidden: int, classes: int, rng: np.random.Generator
    ) -> ScalarMLP:
        def uniform(rows: int, cols: int, bound: float) -> list[list[Value]]:
            return [
                [Value(float(rng.uniform(-bound, bound))) for _ in range(cols)] for _ in range(rows)
            ]

        return cls(
            embed=uniform(n_features, hidden, 1.0),
            b1=[Value(0.0) for _ in range(hidden)],
            w2=uniform(classes, hidden, 1.0 / math.sqrt(hidden)),
            b2=[Value(0.0) for _ in range(classes)],
        )

    def parameters(self) -> list[Value]:
        return [
            *(v for row in self.embed for v in row),
            *self.b1,
            *(v for row in self.w2 for v in row),
            *self.b2,
        ]

    def logits(self, active: Sequence[int]) -> list[Value]:
        hidden = []
        for j, bias in enumerate(self.b1):
            pre = bias
            for i in active:
                pre = pre + self.embed[i][j]
            hidden.append(pre.tanh())
        return [
            sum((w * h for w, h in zip(row, hidden, strict=True)), b)
            for row, b in zip(self.w2, self.b2, strict=True)
        ]


def cross_entropy_scalar(logits: Sequence[Value], target: int) -> Value:
    """-log softmax(logits)[target] through log-sum-exp, shifted by the (constant) largest logit."""
    top = max(v.data for v in logits)
    total = sum(((v - top).exp() for v in logits), Value(0.0))
    return total.log() + top - logits[target]


def train_scalar_mlp(
    examples: Sequence[Example],
    *,
    n_features: int,
    hidden: int,
    epochs: int,
    lr: float,
    batch_size: int,
    rng: np.random.Generator,
) -> dict[str, list[float]]:
    """Minibatch SGD on mean cross-entropy; returns per-epoch training loss and accuracy."""
    model = ScalarMLP.create(n_features, hidden, grid_shape()[2], rng)
    params = model.parameters()
    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    order = np.arange(len(examples))
    for _ in track(range(epochs), desc="epochs", unit="epoch"):
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            batch = [examples[i] for i in order[start : start + batch_size]]
            loss = sum((cross_entropy_scalar(model.logits(a), y) for a, y in batch), Value(0.0))
            loss = loss / len(batch)
            zero_grad(params)
            loss.backward()
            for p in params:
                p.data -= lr * p.grad
        total, correct = 0.0, 0
        for active, label in examples:
            scores = model.logits(active)
            total += cross_entropy_scalar(scores, label).data
            correct += int(max(range(len(scores)), key=lambda k: scores[k].data) == label)
        history["loss"].append(total / len(examples))
        history["accuracy"].append(correct / len(examples))
    return history


@lab(
    "07-scalar-mlp",
    title="Scalar MLP on tense identity (and why verb+person→tense cannot be learned)",
)
def scalar_mlp_lab(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"hidden": 4, "epochs": 3, "lr": 0.5, "batch_size": 36},
            "default": {"hidden": 8, "epochs": 10, "lr": 0.5, "batch_size": 36},
            "full": {"hidden": 16, "epochs": 60, "lr": 0.3, "batch_size": 18},
        },
    )
    n_verbs, n_persons, n_tenses = grid_shape()
    n_features = n_verbs + n_persons + n_tenses
    ours = grid_examples(with_tense_cue=True)
    seed_design = grid_examples(with_tense_cue=False)
    runs = {}
    for name, data in (("tense_cue", ours), ("verb_person_only", seed_design)):
        runs[name] = train_scalar_mlp(
            data,
            n_features=n_features,
            hidden=cfg["hidden"],
            epochs=cfg["epochs"],
            lr=cfg["lr"],
            batch_size=cfg["batch_size"],
            rng=ctx.rng,
        )
    ceilings = {"tense_cue": bayes_accuracy(ours), "verb_person_only": bayes_accuracy(seed_design)}

    fig, (ax_loss, ax_acc) = figure(1, 2, width=10.0, height=4.0)
    epochs = np.arange(1, cfg["epochs"] + 1)
    labels = {"tense_cue": "verb ⊕ person ⊕ tense cue", "verb_person_only": "verb ⊕ person (seed)"}
    for i, (name, hist) in enumerate(runs.items()):
        ax_loss.plot(epochs, hist["loss"], marker="o", ms=3, color=f"C{i}", label=labels[name])
        ax_acc.plot(epochs, hist["accuracy"], marker="o", ms=3, color=f"C{i}", label=labels[name])
        ax_acc.axhline(
            ceilings[name],
            color=f"C{i}",
            ls="--",
            lw=1,
            label=f"Bayes ceiling {ceilings[name]:.0%}",
        )
    ax_loss.axhline(math.log(n_tenses), color="grey", ls=":", lw=1, label="log 6 (uniform guess)")
    ax_loss.set(xlabel="epoch", ylabel="mean cross-entropy (nats)", title="Training loss")
    ax_acc.set(
        xlabel="epoch", ylabel="accuracy on the 360-row grid", title="Accuracy", ylim=(0, 1.05)
    )
    ax_loss.legend(fontsize=8)
    ax_acc.legend(fontsize=8, loc="center right")
    save_png(
        fig,
        ctx.path("training.png"),
        title="Scalar MLP (minigrad.scalar): learnable vs ill-posed input",
    )

    n_params = len(
        ScalarMLP.create(n_features, cfg["hidden"], n_tenses, np.random.default_rng(0)).parameters()
    )
    return {
        "examples": len(ours),
        "parameters": n_params,
        "bayes_accuracy": ceilings,
        "final_loss": {k: v["loss"][-1] for k, v in runs.items()},
        "final_accuracy": {k: v["accuracy"][-1] for k, v in runs.items()},
        "history": runs,
    }


# --- 07-gradcheck ----------------------------------------------------------------------------------------

SCALAR_OPS: dict[str, Callable[[Value, Value], Value]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**3 * b**-1.5,
    "neg": lambda a, b: -a * b,
    "exp": lambda a, b: (a - b).exp(),
    "log": lambda a, b: (a * b).log(),
    "tanh": lambda a, b: (a * b).tanh(),
    "relu": lambda a, b: (a - b).relu(),
    "sigmoid": lambda a, b: (a * b).sigmoid(),
    "diamond": lambda a, b: (a * b + a) * (a - b),
}


def worked_example() -> tuple[Value, Value, Value, Value]:
    """L = (a*b + c) * (a - c) at a=2, b=3, c=4 (the phase's hand-traced graph)."""
    a, b, c = Value(2.0, label="a"), Value(3.0, label="b"), Value(4.0, label="c")
    ab = a * b
    ab.label = "a*b"
    e = ab + c
    e.label = "a*b+c"
    f = a - c
    f.label = "a-c"
    loss = e * f
    loss.label = "L"
    loss.backward()
    return loss, a, b, c


def finite_difference_errors(eps_values: Sequence[float]) -> dict[str, list[float]]:
    """|numerical - exact| derivative of f(x) = tanh(x) * exp(x) at x = 0.7, central vs forward differences."""

    def f(x: float) -> float:
        return math.tanh(x) * math.exp(x)

    x0 = 0.7
    exact_value = Value(x0)
    y = exact_value.tanh() * exact_value.exp()
    y.backward()
    exact = exact_value.grad
    central = [abs((f(x0 + h) - f(x0 - h)) / (2 * h) - exact) for h in eps_values]
    forward = [abs((f(x0 + h) - f(x0)) / h - exact) for h in eps_values]
    return {"central": central, "forward": forward}


@lab(
    "07-gradcheck",
    title="Gradient check of every scalar op, the error-vs-eps U curve, the graph as DOT",
)
def gradcheck_lab(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"points": 3, "eps_decades": 8},
            "default": {"points": 8, "eps_decades": 12},
            "full": {"points": 40, "eps_decades": 14},
        },
    )
    ops: dict[str, float] = {}
    for name, f in SCALAR_OPS.items():
        worst = 0.0
        for _ in range(cfg["points"]):
            a, b = (Value(float(v)) for v in ctx.rng.uniform(0.3, 2.0, size=2))
            report = check_gradients(f, [a, b])
            if not all(item.passed for item in report):
                raise GradcheckError(f"07-gradcheck: op {name} failed at a={a.data}, b={b.data}")
            worst = max(worst, *(item.max_abs_error for item in report))
        ops[name] = worst

    eps_values = [10.0**-k for k in np.arange(1, cfg["eps_decades"] + 0.5, 0.5)]
    errors = finite_difference_errors(eps_values)
    fig, ax = figure()
    ax.loglog(
        eps_values,
        np.maximum(errors["central"], 1e-17),
        "o-",
        label="central (f(x+h) − f(x−h)) / 2h",
    )
    ax.loglog(
        eps_values, np.maximum(errors["forward"], 1e-17), "s-", label="forward (f(x+h) − f(x)) / h"
    )
    ax.axvline(1e-6, color="grey", ls=":", label="gradcheck default eps = 1e-6")
    ax.set(
        xlabel="step h",
        ylabel="|numerical − autograd| derivative",
        title="Finite-difference error of d/dx tanh(x)·exp(x) at x = 0.7 (float64)",
    )
    ax.invert_xaxis()
    ax.legend()
    save_png(fig, ctx.path("eps_sweep.png"))

    loss, a, b, c = worked_example()
    dot = loss.to_dot()
    write_text_atomic(ctx.path("graph.dot"), dot)
    rendered = None
    dot_binary = shutil.which("dot")
    if dot_binary is not None:  # Graphviz is optional: the DOT text is the artifact
        subprocess.run(  # noqa: S603 - fixed argv
            [dot_binary, "-Tsvg", str(ctx.path("graph.dot")), "-o", str(ctx.path("graph.svg"))],
            check=True,
            timeout=60,
        )
        rendered = "graph.svg"
    best = {k: float(eps_values[int(np.argmin(v))]) for k, v in errors.items()}
    return {
        "max_abs_error_per_op": ops,
        "all_ops_pass": True,
        "best_eps": best,
        "min_error": {k: float(min(v)) for k, v in errors.items()},
        "worked_example": {"L": loss.data, "grads": {"a": a.grad, "b": b.grad, "c": c.grad}},
        "graph_nodes": len(loss.topological_order()),
        "rendered": rendered,
    }


# --- break 07: `+=` becomes `=` -------------------------------------------------------------------------


def _assigning(op: str, a: Value, b: Value) -> Value:
    """`a op b` with the broken backward: each parent's grad is *overwritten* with this path's share."""
    if op == "+":
        data, da, db = a.data + b.data, 1.0, 1.0
    elif op == "-":
        data, da, db = a.data - b.data, 1.0, -1.0
    else:
        data, da, db = a.data * b.data, b.data, a.data
    out = Value(data, (a, b), op)

    def _backward(out: Value) -> None:
        a.grad = da * out.grad  # was: a.grad += ...
        b.grad = db * out.grad  # was: b.grad += ...

    out._backward = _backward
    return out


def _healthy(op: str, a: Value, b: Value) -> Value:
    return a + b if op == "+" else a - b if op == "-" else a * b


def _diamond(build: Callable[[str, Value, Value], Value]) -> Callable[[Value, Value, Value], Value]:
    return lambda a, b, c: build("*", build("+", build("*", a, b), c), build("-", a, c))


def _variant(build: Callable[[str, Value, Value], Value]) -> dict[str, Any]:
    a, b, c = Value(2.0), Value(3.0), Value(4.0)
    loss = _diamond(build)(a, b, c)
    loss.backward()
    x, y = Value(3.0), Value(5.0)
    z = build("*", x, y)
    z.backward()
    try:
        passed = gradcheck(_diamond(build), [Value(2.0), Value(3.0), Value(4.0)])
        message = ""
    except GradcheckError as err:
        passed, message = False, str(err)
    return {
        "diamond_loss": loss.data,
        "diamond_grads": {"a": a.grad, "b": b.grad, "c": c.grad},
        "linear_grads": {"x": x.grad, "y": y.grad},
        "gradcheck_passes": passed,
        "gradcheck_message": message,
    }


@breaks(
    7,
    title="Replace += with = in _backward",
    change="every _backward of +, - and * overwrites its parents' grad instead of adding to it",
)
def assign_instead_of_accumulate(ctx: LabContext) -> BreakOutcome:
    ctx.config["expression"] = "L = (a*b + c) * (a - c) at a=2, b=3, c=4; z = x*y at x=3, y=5"
    healthy = _variant(_healthy)
    broken = _variant(_assigning)
    detected = (
        healthy["gradcheck_passes"]
        and not broken["gradcheck_passes"]
        and broken["linear_grads"] == healthy["linear_grads"]
        and broken["diamond_grads"] != healthy["diamond_grads"]
    )
    hg, bg = healthy["diamond_grads"], broken["diamond_grads"]
    symptom = (
        f"a and c feed two paths; with '=' the last path wins: dL/da {bg['a']:g} (should be {hg['a']:g}), "
        f"dL/dc {bg['c']:g} (should be {hg['c']:g}); b and the one-path z = x*y still look right, "
        "so only a graph with a node used twice exposes it — gradcheck does"
    )
    return BreakOutcome(healthy=healthy, broken=broken, symptom=symptom, detected=bool(detected))
