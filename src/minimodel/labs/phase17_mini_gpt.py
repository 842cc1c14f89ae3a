"""Phase 17 labs and break: every parameter of the MiniGPT accounted for, and causality checked end to end.

- `17-param-inventory`: the inventory of the curriculum's config, the tutor's and the seed's two totals
  (103,680 and 131,392), grouped by component, each equal to the closed form; a stacked bar chart and the
  seed's scaling table from the same formula.
- `17-causality`: change the token at position k of a real framed sequence and measure how far the logits at
  every position j move. With the mask nothing before k moves (to 1e-8); without it everything does.
- Break 17: the causal mask switched off. The leak shows in the perturbation test, and after a short training
  run: the model learns to read the next token, so its teacher-forced validation loss is much lower than the
  loss of the same predictions made from the prefix alone (as generation makes them). A causal model scores
  the same both ways, to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib.ticker import FuncFormatter

from lynx_cortex.atomic import write_text_atomic
from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.progress import track
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minigrad.optim import AdamW
from minigrad.tensor import no_grad
from minimodel.data import encode_split, load_tokenizer
from minimodel.mini_gpt import (
    SEED_103680,
    SEED_131392,
    MiniGPT,
    MiniGPTConfig,
    closed_form_param_count,
    named_config,
    param_inventory,
)

COMPONENTS = (
    "token embedding",
    "positions",
    "attention",
    "FFN",
    "block norms",
    "final norm",
    "LM head",
)
COLOURS = ("tab:blue", "tab:purple", "tab:orange", "tab:green", "tab:olive", "tab:cyan", "tab:red")


def component_of(name: str) -> str:
    """The component a parameter name belongs to (`blocks.0.ffn.fc1.weight` → `FFN`)."""
    if name.startswith("tok_emb."):
        return "token embedding"
    if name.startswith("pos_emb."):
        return "positions"
    if name.startswith("lm_head."):
        return "LM head"
    if name.startswith("norm_f."):
        return "final norm"
    if ".attn." in name:
        return "attention"
    if ".ffn." in name:
        return "FFN"
    if ".norm" in name:
        return "block norms"
    raise ValueError(f"parameter {name!r} belongs to no known MiniGPT component")


def by_component(inventory: Mapping[str, int]) -> dict[str, int]:
    totals = dict.fromkeys(COMPONENTS, 0)
    for name, count in inventory.items():
        totals[component_of(name)] += count
    return totals


@lab(
    "17-param-inventory",
    title="Every MiniGPT parameter, counted and checked against the closed form",
)
def param_inventory_lab(ctx: LabContext) -> Mapping[str, Any]:
    vocab = load_tokenizer().vocab_size
    configs = {
        f"tiny (V={vocab})": named_config("tiny", vocab),
        f"grammar (V={vocab})": named_config("grammar", vocab),
        "seed 103,680 (V=64, LayerNorm, FFN biases)": SEED_103680,
        "seed 131,392 (V=512, RMSNorm, no biases)": SEED_131392,
    }
    rows: dict[str, dict[str, Any]] = {}
    lines = ["config,parameter,count"]
    for label, cfg in configs.items():
        inventory = param_inventory(MiniGPT(cfg, rng=ctx.rng))
        lines += [f'"{label}",{name},{count}' for name, count in inventory.items()]
        parts = by_component(inventory)
        total = sum(inventory.values())
        rows[label] = {
            "components": parts,
            "total": total,
            "closed_form": closed_form_param_count(cfg),
            "ffn_share": parts["FFN"] / total,
            "config": cfg.to_dict(),
        }
    write_text_atomic(ctx.path("inventory.csv"), "\n".join(lines) + "\n")

    fig, axes = figure(1, 2, width=12.0, height=4.6)
    labels = list(rows)
    for ax, share in zip(axes, (False, True), strict=True):
        left = np.zeros(len(labels))  # (configs,)
        for component, colour in zip(COMPONENTS, COLOURS, strict=True):
            values = np.array([rows[lbl]["components"][component] for lbl in labels], dtype=float)
            if share:
                values = 100 * values / np.array([rows[lbl]["total"] for lbl in labels])
            ax.barh(labels, values, left=left, color=colour, label=component)
            left += values
        ax.invert_yaxis()
        ax.set_xlabel("share of parameters (%)" if share else "parameters (count)")
    axes[0].tick_params(axis="y", labelsize=8)
    axes[1].set_yticklabels([])
    axes[1].legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4, fontsize=8)
    axes[0].xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:.0f}k"))
    for i, lbl in enumerate(labels):
        axes[0].text(rows[lbl]["total"], i, f" {rows[lbl]['total']:,}", va="center", fontsize=8)
    save_png(fig, ctx.path("distribution.png"), title="MiniGPT parameters by component")

    scaling = {  # the seed's scaling table (V=64 and the lab's formula); GPT-2 small has V=50,257, 12 heads
        "mini d64 L2": closed_form_param_count(SEED_103680),
        "medium d128 L4": closed_form_param_count(
            MiniGPTConfig(vocab_size=64, d_model=128, n_layers=4, d_ff=512)
        ),
        "large d256 L6": closed_form_param_count(
            MiniGPTConfig(vocab_size=64, d_model=256, n_layers=6, d_ff=1024)
        ),
        "GPT-2 small shape (no positional table)": closed_form_param_count(
            MiniGPTConfig(vocab_size=50_257, d_model=768, n_heads=12, n_layers=12, d_ff=3072)
        ),
    }
    return {
        "configs": rows,
        "all_match_closed_form": all(r["total"] == r["closed_form"] for r in rows.values()),
        "scaling_closed_form": scaling,
    }


def probe_sequence(length: int) -> npt.NDArray[np.intp]:
    """Framed training rows packed end to end, cut to `length` tokens: real text, not random ids."""
    ids: list[int] = []
    for row in encode_split(load_tokenizer(), "train"):
        ids += row
        if len(ids) >= length:
            break
    return np.asarray(ids[:length], dtype=np.intp)


def perturbation_matrix(model: MiniGPT, tokens: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
    """(T, T): entry [k, j] = max |Δ logits at j| when only the token at k changes."""
    vocab = model.cfg.vocab_size
    length = len(tokens)
    with no_grad():
        base = model(tokens[None]).data[0]  # (T, V)
        moved = np.zeros((length, length))  # (T, T)
        for k in range(length):
            changed = tokens.copy()
            changed[k] = (changed[k] + 7) % vocab
            moved[k] = np.max(np.abs(model(changed[None]).data[0] - base), axis=-1)  # (T,)
    return moved


def leakage(moved: npt.NDArray[np.float64]) -> dict[str, Any]:
    """How far earlier positions moved (must be 0), and the weakest effect of a change on the last position.

    The last position sees an earlier change only through attention, so a zero there means a disconnected
    model, not a causal one.
    """
    earlier = np.tril(moved, -1)  # (T, T): rows k, columns j < k
    return {
        "max_earlier_change": float(earlier.max()),
        "min_downstream_change": float(np.min(moved[:-1, -1])),
        "positions_leaking": int(np.sum(earlier.max(axis=0) > 1e-8)),
    }


def _causality_models(ctx: LabContext, cfg: MiniGPTConfig) -> tuple[MiniGPT, MiniGPT]:
    """The same float64 weights twice: once causal, once with the mask switched off in every block."""
    healthy = MiniGPT(cfg, rng=ctx.rng, dtype=np.float64)
    broken = MiniGPT(cfg, rng=np.random.default_rng(0), dtype=np.float64)
    broken.load_state_dict(healthy.state_dict())
    for block in broken.blocks:
        block.causal = False
    return healthy, broken


@lab("17-causality", title="Perturb the future: earlier logits must not move")
def causality_lab(ctx: LabContext) -> Mapping[str, Any]:
    cfg_values = settings(
        ctx, {"default": {"length": 32}, "smoke": {"length": 16}, "full": {"length": 32}}
    )
    vocab = load_tokenizer().vocab_size
    cfg = named_config("tiny", vocab)
    tokens = probe_sequence(cfg_values["length"])
    healthy, broken = _causality_models(ctx, cfg)
    matrices = {"causal mask": perturbation_matrix(healthy, tokens)}
    matrices["mask removed"] = perturbation_matrix(broken, tokens)
    stats = {name: leakage(m) for name, m in matrices.items()}

    fig, axes = figure(1, 2, width=11.0, height=4.8)
    for ax, (name, moved) in zip(axes, matrices.items(), strict=True):
        image = ax.imshow(
            np.log10(np.maximum(moved, 1e-18)), cmap="magma", vmin=-18, vmax=1, origin="upper"
        )
        ax.set(
            title=name,
            xlabel="observed position j",
            ylabel="perturbed position k",
        )
    fig.colorbar(image, ax=axes[1], label="log10 max |Δ logits at j|  (−18 = unchanged)")
    save_png(
        fig,
        ctx.path("perturbation.png"),
        title="Changing token k: which positions' logits move? (lower-left must be empty)",
    )
    return {
        "tokens": len(tokens),
        "config": cfg.to_dict(),
        "causal": stats["causal mask"],
        "no_mask": stats["mask removed"],
        "causal_holds": stats["causal mask"]["max_earlier_change"] < 1e-8
        and stats["causal mask"]["min_downstream_change"] > 0,
        "broken_variant_caught": stats["mask removed"]["max_earlier_change"] > 1e-8,
    }


def _train_losses(
    model: MiniGPT, rows: list[list[int]], steps: int, batch: int, rng: np.random.Generator
) -> list[float]:
    """Teacher-forced training on framed rows (right-padded), the loss of each step."""
    opt = AdamW(list(model.parameters()), lr=3e-3, betas=(0.9, 0.95), weight_decay=0.0)
    losses = []
    for _ in track(range(steps), desc="train", unit="step"):
        chosen = [rows[i] for i in rng.choice(len(rows), size=batch, replace=False)]
        width = max(len(r) for r in chosen)
        ids = np.zeros((batch, width), dtype=np.intp)  # (B, T)
        for i, row in enumerate(chosen):
            ids[i, : len(row)] = row
        real = np.arange(width)[None, :] < np.array([len(r) for r in chosen])[:, None]  # (B, T)
        model.zero_grad()
        loss = model.loss(ids[:, :-1], ids[:, 1:], real[:, 1:])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def _nll(logits: npt.NDArray[np.floating], targets: npt.NDArray[np.intp]) -> float:
    """Summed -log softmax(logits)[target] over the rows of (N, V) logits."""
    shifted = logits - logits.max(-1, keepdims=True)  # (N, V)
    logp = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))  # (N, V)
    return -float(logp[np.arange(len(targets)), targets].sum())


def prefix_only_loss(model: MiniGPT, rows: list[list[int]]) -> tuple[float, float]:
    """(teacher-forced loss, honest loss) over `rows`, token-mean in nats.

    Teacher-forced: one forward pass over the whole row. Honest: the prediction at t recomputed from the
    prefix alone (later keys hidden with `pad_mask`), which is what generation sees. A causal model gets the
    same number both ways; a model that peeks at the future looks better teacher-forced than it is.
    """
    forced, honest, count = 0.0, 0.0, 0
    with no_grad():
        for row in rows:
            ids = np.asarray(row, dtype=np.intp)  # (T,)
            inputs, targets = ids[:-1], ids[1:]  # (T-1,) each
            length = len(inputs)
            logits = model(inputs[None]).data[0]  # (T-1, V)
            prefixes = np.tril(np.ones((length, length), dtype=bool))  # (T-1, T-1): row t sees ≤ t
            alone = model(np.tile(inputs, (length, 1)), pad_mask=prefixes).data  # (T-1, T-1, V)
            alone = alone[np.arange(length), np.arange(length)]  # (T-1, V): position t of prefix t
            forced += _nll(logits, targets)
            honest += _nll(alone, targets)
            count += length
    return forced / count, honest / count


@breaks(17, title="MiniGPT attention without the causal mask", change="block.causal = False")
def no_causal_mask_break(ctx: LabContext) -> BreakOutcome:
    cfg_values = settings(
        ctx,
        {
            "default": {"length": 16, "steps": 60, "batch": 16, "val_rows": 20},
            "smoke": {"length": 12, "steps": 25, "batch": 8, "val_rows": 8},
            "full": {"length": 32, "steps": 150, "batch": 16, "val_rows": 60},
        },
    )
    tokenizer = load_tokenizer()
    cfg = named_config("tiny", tokenizer.vocab_size)
    healthy, broken = _causality_models(ctx, cfg)
    tokens = probe_sequence(cfg_values["length"])
    found: dict[str, dict[str, Any]] = {
        "healthy": leakage(perturbation_matrix(healthy, tokens)),
        "broken": leakage(perturbation_matrix(broken, tokens)),
    }
    rows = encode_split(tokenizer, "train")
    val = encode_split(tokenizer, "val")[: cfg_values["val_rows"]]
    steps, batch = cfg_values["steps"], cfg_values["batch"]
    curves = {}
    for name, model in (("healthy", healthy), ("broken", broken)):
        curves[name] = _train_losses(model, rows, steps, batch, np.random.default_rng(ctx.seed))
        forced, honest = prefix_only_loss(model, val)
        found[name] |= {"val_loss_teacher_forced": forced, "val_loss_prefix_only": honest}
    fig, ax = figure()
    for name, curve in curves.items():
        ax.plot(np.arange(1, steps + 1), curve, label=f"{name}: train loss")
        for key, style in (("val_loss_teacher_forced", "--"), ("val_loss_prefix_only", ":")):
            ax.axhline(
                found[name][key],
                color=ax.lines[-1].get_color(),
                linestyle=style,
                label=f"{name}: {key.removeprefix('val_loss_').replace('_', ' ')} val {found[name][key]:.2f}",
            )
    ax.axhline(math.log(cfg.vocab_size), color="grey", linestyle="-.", label="uniform log V")
    ax.set(xlabel="step", ylabel="loss (nats/token)")
    ax.legend(fontsize=7)
    save_png(
        fig,
        ctx.path("no_mask_loss.png"),
        title="Without the mask, teacher forcing flatters the model",
    )
    gap = {n: f["val_loss_prefix_only"] - f["val_loss_teacher_forced"] for n, f in found.items()}
    detected = (
        found["healthy"]["max_earlier_change"] < 1e-8
        and found["broken"]["max_earlier_change"] > 1e-3
        and abs(gap["healthy"]) < 1e-9
        and gap["broken"] > 0.1
    )
    return BreakOutcome(
        healthy=found["healthy"],
        broken=found["broken"],
        symptom=(
            f"changing a later token moves earlier logits by up to {found['broken']['max_earlier_change']:.2g} "
            f"(healthy {found['healthy']['max_earlier_change']:.1g}); teacher-forced val loss "
            f"{found['broken']['val_loss_teacher_forced']:.2f} but {found['broken']['val_loss_prefix_only']:.2f} "
            f"when each prediction sees only its prefix (healthy: {found['healthy']['val_loss_prefix_only']:.2f} "
            "both ways): it reads the answer instead of predicting it"
        ),
        detected=bool(detected),
    )
