"""Phase 28 oracles: the minigrad LoRA against the torch port's, and that against `peft`'s LoRA layer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minimodel.mini_gpt import MiniGPT, MiniGPTConfig
from minituner.adapter import adapter_tensors
from minituner.lora import LoRAConfig, apply_lora, lora_parameters

SMALL = MiniGPTConfig(vocab_size=37, d_model=24, n_heads=4, n_layers=2, d_ff=40, context_len=16)


def _torch() -> Any:
    return pytest.importorskip("torch", reason="the PyTorch port is the oracle for minigrad's LoRA")


def _pair(config: LoRAConfig, cfg: MiniGPTConfig = SMALL) -> tuple[MiniGPT, Any]:
    torch = _torch()
    tm = pytest.importorskip("minimodel.torch_minigpt")
    tl = pytest.importorskip("minituner.torch_lora")
    model = MiniGPT(cfg, rng=np.random.default_rng(0), dtype=np.float64)
    port = tm.GrammarMiniGPT(cfg).to(torch.float64)
    tm.load_numpy_state(port, model.state_dict())
    apply_lora(model, config, rng=np.random.default_rng(2))
    tl.apply_torch_lora(port, config)
    rng = np.random.default_rng(3)
    for param in lora_parameters(model):
        param.data = rng.standard_normal(param.shape) * 0.2
    tl.copy_factors(port, adapter_tensors(model))
    return model, port


@pytest.mark.parametrize(
    "config",
    [LoRAConfig(rank=4), LoRAConfig(rank=2, alpha=3.0, targets=("k", "o", "fc1"))],
    ids=["all", "some"],
)
def test_forward_and_factor_gradients_match_the_torch_port(config: LoRAConfig) -> None:
    torch = _torch()
    model, port = _pair(config)
    ids = np.random.default_rng(1).integers(0, SMALL.vocab_size, (2, 9))
    keep = np.ones(ids.shape, dtype=bool)
    loss = model.loss(ids, ids, keep)
    loss.backward()
    logits = port(torch.as_tensor(ids))
    ref = torch.nn.functional.cross_entropy(
        logits.reshape(-1, SMALL.vocab_size), torch.as_tensor(ids).reshape(-1)
    )
    ref.backward()
    np.testing.assert_allclose(model(ids).data, logits.detach().numpy(), rtol=0, atol=1e-10)
    grads = {n: p.grad.numpy() for n, p in port.named_parameters() if p.requires_grad}
    ours = {n: p.grad for n, p in model.named_parameters() if "lora_" in n}
    assert set(grads) == set(ours)
    for name, grad in ours.items():
        np.testing.assert_allclose(grad, grads[name], rtol=0, atol=1e-10, err_msg=name)


def test_torch_lora_linear_is_the_papers_formula() -> None:
    """Our own torch reference (the fast twin of the peft check below): W x + b + (α/r)·B A x."""
    torch = _torch()
    tl = pytest.importorskip("minituner.torch_lora")
    torch.manual_seed(0)
    layer = tl.TorchLoRALinear(torch.nn.Linear(12, 7).double(), rank=4, alpha=8.0)
    with torch.no_grad():
        layer.lora.lora_B.normal_()
    x = torch.randn(5, 12, dtype=torch.float64)
    w, b = layer.base.weight, layer.base.bias
    a, bb = layer.lora.lora_A, layer.lora.lora_B
    torch.testing.assert_close(layer(x), x @ w.T + b + 2.0 * (x @ a.T @ bb.T), rtol=0, atol=1e-12)
    assert [n for n, p in layer.named_parameters() if p.requires_grad] == [
        "lora.lora_A",
        "lora.lora_B",
    ]


@pytest.mark.slow  # importing peft pulls in transformers (~7 s); the formula test above stays in the default run
def test_torch_lora_linear_matches_peft() -> None:
    """An equivalent module: one `nn.Linear` named fc, adapted by peft and by us with the same A and B."""
    torch = _torch()
    peft = pytest.importorskip(
        "peft", reason="peft is an optional oracle (not in any dependency group)"
    )
    tl = pytest.importorskip("minituner.torch_lora")

    class Net(torch.nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.fc = torch.nn.Linear(12, 7)

        def forward(self, x: Any) -> Any:
            return self.fc(x)

    torch.manual_seed(0)
    net = Net().double()
    ours = tl.TorchLoRALinear(torch.nn.Linear(12, 7).double(), rank=4, alpha=8.0)
    ours.base.load_state_dict(net.fc.state_dict())
    wrapped = peft.get_peft_model(
        net,
        peft.LoraConfig(
            r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["fc"], init_lora_weights=False
        ),
    )
    layer = wrapped.base_model.model.fc
    with torch.no_grad():
        ours.lora.lora_A.copy_(layer.lora_A["default"].weight)
        ours.lora.lora_B.copy_(layer.lora_B["default"].weight)
    x = torch.randn(5, 12, dtype=torch.float64)
    torch.testing.assert_close(ours(x), wrapped(x), rtol=0, atol=1e-5)
    assert layer.scaling["default"] == ours.lora.scaling == 2.0
    merged = wrapped.merge_and_unload()
    delta = ours.lora.scaling * ours.lora.lora_B @ ours.lora.lora_A
    torch.testing.assert_close(merged.fc.weight, ours.base.weight + delta, rtol=0, atol=1e-5)
