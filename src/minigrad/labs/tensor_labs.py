"""Phase 08 labs and break: reverse broadcasting checked pair by pair, graph size vs depth, skipping unbroadcast.

`08-broadcasting-gradients` runs every elementwise binary op over a catalogue of broadcast pairs and compares
the engine's gradients with central differences (and with PyTorch when it is installed). `08-graph-size`
grows a chain of ops and measures node count, forward and backward time for both engines — the cost of
autograd is linear in the number of nodes, and the per-node overhead is what separates the scalar engine
from the tensor one. The scalar forward pass is also timed with CPython's cyclic garbage collector paused:
a large live graph is rescanned by every full collection, which the plot makes visible. Break 08 removes
the `_unbroadcast` call from addition's backward.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minigrad.gcpause import gc_paused
from minigrad.gradcheck import check_gradients
from minigrad.scalar import Value
from minigrad.tensor import Tensor, _make, _unbroadcast

PAIRS: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = (
    ((3, 4), (3, 4)),
    ((3,), (4, 3)),
    ((3, 1), (1, 5)),
    ((2, 1, 4), (3, 1)),
    ((), (2, 3)),
    ((5, 1, 1), (1, 2, 3)),
)

OPS: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
}


def _torch_grads(
    op: str, a: np.ndarray, b: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        torch: Any = importlib.import_module("torch")
    except ImportError:
        return None
    ta = torch.tensor(a, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    fn: Callable[[Any, Any], Any] = OPS[op]  # the same expression runs on torch tensors
    (fn(ta, tb) * torch.from_numpy(weights)).sum().backward()
    return ta.grad.numpy(), tb.grad.numpy()


@lab(
    "08-broadcasting-gradients",
    title="Reverse broadcasting: every op x broadcast pair vs finite differences",
)
def broadcasting_gradients_lab(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, {"smoke": {"ops": ["add", "mul"]}, "default": {"ops": list(OPS)}})
    rows: list[dict[str, Any]] = []
    for op in cfg["ops"]:
        for sa, sb in PAIRS:
            a = Tensor(ctx.rng.normal(size=sa), requires_grad=True)
            b = Tensor(ctx.rng.normal(size=sb), requires_grad=True)
            report = check_gradients(OPS[op], [a, b])
            row: dict[str, Any] = {
                "op": op,
                "shapes": [list(sa), list(sb)],
                "out_shape": list(np.broadcast_shapes(sa, sb)),
                "max_abs_error_vs_numerical": max(item.max_abs_error for item in report),
                "passed": all(item.passed for item in report),
            }
            weights = np.random.default_rng(1234).uniform(0.5, 1.5, size=row["out_shape"])
            oracle = _torch_grads(op, a.data, b.data, weights)
            if oracle is not None:
                row["max_abs_error_vs_torch"] = float(
                    max(
                        np.abs(item.analytic - ref).max(initial=0.0)
                        for item, ref in zip(report, oracle, strict=True)
                    )
                )
            rows.append(row)

    fig, ax = figure(width=9.0, height=4.5)
    labels = [
        f"{tuple(r['shapes'][0])}∘{tuple(r['shapes'][1])}" for r in rows if r["op"] == cfg["ops"][0]
    ]
    x = np.arange(len(labels))
    width = 0.8 / len(cfg["ops"])
    for i, op in enumerate(cfg["ops"]):
        errors = [max(r["max_abs_error_vs_numerical"], 1e-16) for r in rows if r["op"] == op]
        ax.bar(x + i * width, errors, width, label=op)
    ax.axhline(1e-5, color="red", ls="--", label="gradcheck atol 1e-5")
    ax.set_yscale("log")
    ax.set_xticks(x + width * (len(cfg["ops"]) - 1) / 2, labels, rotation=20, fontsize=8)
    ax.set(
        xlabel="operand shapes (a ∘ b)",
        ylabel="max |autograd − central difference|",
        title="Gradient error per broadcast pattern (float64, eps 1e-6)",
    )
    ax.legend(ncols=5, fontsize=8)
    save_png(fig, ctx.path("broadcast_errors.png"))
    torch_errors = [r["max_abs_error_vs_torch"] for r in rows if "max_abs_error_vs_torch" in r]
    return {
        "cases": rows,
        "all_passed": all(r["passed"] for r in rows),
        "max_abs_error_vs_numerical": max(r["max_abs_error_vs_numerical"] for r in rows),
        "max_abs_error_vs_torch": max(torch_errors) if torch_errors else None,
    }


# --- 08-graph-size ---------------------------------------------------------------------------------------


def _value_chain(depth: int) -> tuple[int, float, float]:
    start = time.perf_counter()
    x = Value(0.3)
    y = x
    for _ in range(depth):
        y = (y * 0.9 + x).tanh()
    mid = time.perf_counter()
    y.backward()
    end = time.perf_counter()
    return len(y.topological_order()), mid - start, end - mid


def _tensor_chain(depth: int, width: int) -> tuple[int, float, float]:
    x = Tensor(np.full(width, 0.3), requires_grad=True)
    start = time.perf_counter()
    y = x
    for _ in range(depth):
        y = (y * 0.9 + x).tanh()
    loss = y.sum()
    mid = time.perf_counter()
    loss.backward()
    end = time.perf_counter()
    return len(loss._topological_order()), mid - start, end - mid


@lab("08-graph-size", title="Graph size and autograd time vs depth, scalar and tensor engines")
def graph_size_lab(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"depths": [10, 100, 1000], "width": 256},
            "default": {"depths": [10, 100, 1000, 3000, 10000], "width": 256},
            "full": {"depths": [10, 100, 1000, 10000, 30000], "width": 1024},
        },
    )
    rows = []
    for depth in cfg["depths"]:
        v_nodes, v_fwd, v_bwd = _value_chain(depth)
        with (
            gc_paused()
        ):  # the same build without CPython's cyclic collector rescanning the live graph
            _, v_fwd_nogc, _ = _value_chain(depth)
        t_nodes, t_fwd, t_bwd = _tensor_chain(depth, cfg["width"])
        rows.append(
            {
                "depth": depth,
                "value_nodes": v_nodes,
                "value_forward_s": v_fwd,
                "value_backward_s": v_bwd,
                "value_forward_no_gc_s": v_fwd_nogc,
                "tensor_nodes": t_nodes,
                "tensor_forward_s": t_fwd,
                "tensor_backward_s": t_bwd,
            }
        )
    depths = np.array(cfg["depths"])
    fig, (ax_nodes, ax_time) = figure(1, 2, width=10.0, height=4.0)
    ax_nodes.loglog(depths, [r["value_nodes"] for r in rows], "o-", label="Value (scalars)")
    ax_nodes.loglog(
        depths, [r["tensor_nodes"] for r in rows], "s--", label="Tensor (requires-grad nodes)"
    )
    ax_nodes.set(
        xlabel="depth (steps of y = tanh(0.9·y + x))",
        ylabel="nodes in the graph",
        title="Graph size",
    )
    ax_nodes.legend()
    for key, style, name in (
        ("value_forward_s", "o-", "Value forward"),
        ("value_backward_s", "o--", "Value backward"),
        ("value_forward_no_gc_s", "o:", "Value forward, gc paused"),
        ("tensor_forward_s", "s-", f"Tensor({cfg['width']}) forward"),
        ("tensor_backward_s", "s--", f"Tensor({cfg['width']}) backward"),
    ):
        ax_time.loglog(depths, [max(r[key], 1e-7) for r in rows], style, label=name)
    ax_time.set(
        xlabel="depth", ylabel="wall time (s)", title="Wall time (linear once gc is paused)"
    )
    ax_time.legend(fontsize=8)
    save_png(fig, ctx.path("graph_size.png"))
    deepest = rows[-1]
    per_node = {
        "value_us": 1e6
        * (deepest["value_forward_s"] + deepest["value_backward_s"])
        / deepest["value_nodes"],
        "tensor_us": 1e6
        * (deepest["tensor_forward_s"] + deepest["tensor_backward_s"])
        / deepest["tensor_nodes"],
    }
    return {
        "rows": rows,
        "recursion_limit": sys.getrecursionlimit(),
        "deepest_exceeds_recursion_limit": deepest["depth"] > sys.getrecursionlimit(),
        "microseconds_per_node_at_max_depth": per_node,
        "tensor_width": cfg["width"],
    }


# --- break 08: addition without _unbroadcast -------------------------------------------------------------


def add_without_unbroadcast(a: Tensor, b: Tensor) -> Tensor:
    """`Tensor.__add__` with the reverse-broadcast step deleted from its backward."""
    out = _make(a.data + b.data, (a, b), "add")
    if out.requires_grad:

        def _backward(out: Tensor) -> None:
            if out.grad is None:
                return
            if a.requires_grad:
                a._accumulate(out.grad, "add")  # was: _unbroadcast(out.grad, a.shape)
            if b.requires_grad:
                b._accumulate(out.grad, "add")

        out._backward = _backward
    return out


def _regimes(add: Callable[[Tensor, Tensor], Tensor]) -> dict[str, Any]:
    """(3,) + (4, 3) and (3, 1) + (3, 5), each under a non-uniform loss; report grads or the error raised."""
    results: dict[str, Any] = {}
    weight = Tensor(np.arange(15.0).reshape(3, 5))
    cases = {
        "vector_plus_matrix": ([1.0, 2.0, 3.0], np.arange(10.0, 130.0, 10.0).reshape(4, 3), None),
        "column_plus_matrix": (np.ones((3, 1)), np.ones((3, 5)), weight),
    }
    for name, (a0, b0, w) in cases.items():
        a = Tensor(np.array(a0, dtype=np.float64), requires_grad=True)
        b = Tensor(b0, requires_grad=True)
        try:
            c = add(a, b)
            loss = (c * w).sum() if w is not None else c.sum()
            loss.backward()
            if a.grad is None:
                raise RuntimeError("backward reached no gradient for a")
            results[name] = {
                "a_grad": a.grad.tolist(),
                "a_grad_shape": list(a.grad.shape),
                "error": None,
            }
        except RuntimeError as err:
            results[name] = {"a_grad": None, "a_grad_shape": None, "error": str(err)}
        # What the raw gradient would look like without the engine's shape check.
        upstream = (
            np.ones(np.broadcast_shapes(a.shape, b.shape))
            if w is None
            else np.broadcast_to(w.data, (3, 5))
        )
        results[name]["unchecked_grad_shape"] = list(upstream.shape)
        results[name]["expected_a_grad"] = _unbroadcast(upstream, a.shape).tolist()
    return results


@breaks(
    8,
    title="Skip _unbroadcast in the backward of add",
    change="Tensor addition passes the upstream gradient to both operands without summing broadcast axes",
)
def skip_unbroadcast(ctx: LabContext) -> BreakOutcome:
    ctx.config["regimes"] = [
        "(3,) + (4,3), loss = sum",
        "(3,1) + (3,5), loss = sum(c * arange(15))",
    ]
    healthy = _regimes(lambda a, b: a + b)
    broken = _regimes(add_without_unbroadcast)
    healthy_ok = all(
        r["error"] is None and r["a_grad"] == r["expected_a_grad"] for r in healthy.values()
    )
    broken_caught = all(r["error"] is not None for r in broken.values())
    symptom = (
        "without the axis sums, a (3,) tensor receives a (4, 3) gradient and a (3, 1) tensor a (3, 5) one; "
        "the engine's grad-shape check stops the backward pass with: "
        + str(broken["vector_plus_matrix"]["error"]).split(":")[0]
        + " (without that check NumPy would broadcast the wrong-shaped gradient silently into .grad)"
    )
    return BreakOutcome(
        healthy=healthy, broken=broken, symptom=symptom, detected=bool(healthy_ok and broken_caught)
    )
