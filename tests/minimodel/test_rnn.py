from __future__ import annotations

import numpy as np
import pytest

from minigrad.gradcheck import gradcheck
from minigrad.tensor import Tensor
from minimodel.rnn import GRUCell, LSTMCell, RNNCell, gradient_norms_through_time, make_cell, run

torch = pytest.importorskip("torch", reason="torch is the oracle for the recurrent cells")


def load_torch(cell: RNNCell | GRUCell | LSTMCell, module: torch.nn.Module) -> None:
    with torch.no_grad():
        module.weight_ih.copy_(torch.tensor(cell.w_x.data.T))
        module.weight_hh.copy_(torch.tensor(cell.w_h.data.T))
        module.bias_ih.copy_(torch.tensor(cell.b_x.data))
        module.bias_hh.copy_(torch.tensor(cell.b_h.data))


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_cells_match_torch_over_a_sequence(kind: str) -> None:
    rng = np.random.default_rng(0)
    cell = make_cell(kind, 3, 4, rng=rng)  # type: ignore[arg-type]
    module = {"rnn": torch.nn.RNNCell, "gru": torch.nn.GRUCell, "lstm": torch.nn.LSTMCell}[kind](
        3, 4, dtype=torch.float64
    )
    load_torch(cell, module)
    xs_np = rng.standard_normal((2, 5, 3))  # (B, T, D)
    xs = Tensor(xs_np, requires_grad=True)
    outputs, _, _ = run(cell, xs)
    upstream = rng.standard_normal(outputs.shape)
    outputs.backward(upstream)

    txs = torch.tensor(xs_np, requires_grad=True)
    h = torch.zeros(2, 4, dtype=torch.float64)
    c = torch.zeros(2, 4, dtype=torch.float64)
    hs = []
    for t in range(5):
        if kind == "lstm":
            h, c = module(txs[:, t], (h, c))
        else:
            h = module(txs[:, t], h)
        hs.append(h)
    expected = torch.stack(hs, 1)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(outputs.data, expected.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(xs.grad, txs.grad.numpy(), atol=1e-12)
    pairs = [
        (cell.w_x, module.weight_ih.grad.T),
        (cell.w_h, module.weight_hh.grad.T),
        (cell.b_x, module.bias_ih.grad),
        (cell.b_h, module.bias_hh.grad),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.grad, theirs.numpy(), atol=1e-12)


def test_hand_worked_rnn_step() -> None:
    """d=4, W_hh = 0.5·I, W_xh fixed, zero bias: the two states of the phase-14 exercise."""
    cell = RNNCell(2, 4, rng=np.random.default_rng(0))
    cell.w_x.data = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 1.0]]).T  # (D, H)
    cell.w_h.data = 0.5 * np.eye(4)
    cell.b_x.data[:] = 0.0
    cell.b_h.data[:] = 0.0
    _, hs, _ = run(cell, Tensor([[[1.0, 0.0], [0.0, 1.0]]]))
    np.testing.assert_allclose(hs[0].data[0], [np.tanh(1), 0, np.tanh(1), -np.tanh(1)])
    np.testing.assert_allclose(
        hs[1].data[0], [0.36, 0.76, 0.88, 0.55], atol=5e-3
    )  # the seed's 2 decimals
    np.testing.assert_allclose(hs[1].data[0], np.tanh(0.5 * hs[0].data[0] + [0.0, 1.0, 1.0, 1.0]))


def test_gru_gradcheck() -> None:
    cell = GRUCell(2, 3, rng=np.random.default_rng(1))
    xs = Tensor(np.random.default_rng(2).standard_normal((2, 3, 2)), requires_grad=True)
    assert gradcheck(lambda x: run(cell, x)[0], [xs])


def test_lstm_trains_to_remember_the_first_token() -> None:
    """The recurrent cells are trainable end to end: an LSTM learns to report the sign of step 0."""
    rng = np.random.default_rng(0)
    cell = LSTMCell(1, 8, rng=rng)
    head = Tensor(rng.standard_normal((8, 1)) * 0.1, requires_grad=True)
    xs_np = rng.standard_normal((32, 4, 1))
    target = np.sign(xs_np[:, :1, 0])  # (B, 1)
    losses = []
    params = [*cell.parameters(), head]
    for _ in range(80):
        out, _, _ = run(cell, Tensor(xs_np))
        loss = ((out[:, -1, :] @ head - Tensor(target)) ** 2).mean()
        for p in params:
            p.zero_grad()
        loss.backward()
        for p in params:
            p.data -= 0.3 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_vanilla_rnn_gradient_vanishes_through_time() -> None:
    norms = gradient_norms_through_time(
        "rnn", length=30, input_size=4, hidden_size=16, rng=np.random.default_rng(0)
    )
    assert norms[0] < 1e-4 * norms[-1]


def test_bad_inputs() -> None:
    cell = RNNCell(3, 4, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"cell input must be \(B, 3\)"):
        cell(Tensor(np.ones((2, 5))), cell.zeros(2))
    with pytest.raises(ValueError, match=r"run needs a \(B, T, D\)"):
        run(cell, Tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match="cell kind must be one of"):
        make_cell("transformer", 1, 1, rng=np.random.default_rng(0))  # type: ignore[arg-type]
