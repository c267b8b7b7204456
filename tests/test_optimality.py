"""SPEC §3: the explicit Pontryagin system against torch autograd and finite differences."""

import pytest
import torch
from conftest import random_model

from autoencode_lib import (
    adjoint_gradient,
    cost,
    costates,
    hamiltonian,
    stationarity_map,
    stationarity_residual,
    tikhonov,
)

CASES = [
    ([(2, 5), (1, 5), (2, 5)], "tanh", "reset", 0.0),
    ([(4, 3), (2, 2), (1, 3), (3, 2), (4, 3)], "tanh", "reset", 0.1),
    ([(5, 2), (2, 4), (5, 2)], "softplus", "reset", 1e-3),
    ([(3, 3), (1, 2), (2, 1), (3, 3)], "leaky_relu", "reset", 2.0),
    ([(3, 3), (2, 2), (3, 3)], "relu", "reset", 0.5),
    ([(3, 2), (1, 2), (3, 2)], "tanh", "freeze", 0.05),
    ([(3, 6)], "tanh", "reset", 0.2),  # NeurODE
    ([(3, 2), (1, 3), (3, 1), (2, 2)], "softplus", "freeze", 0.3),  # general profile
]


def _data(model, n=13, seed=0):
    g = torch.Generator().manual_seed(seed)
    d = model.profile.dim
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = torch.randn(n, d, generator=g, dtype=torch.float64)
    return x, y


@pytest.mark.parametrize("blocks, activation, inactive, lam", CASES)
def test_adjoint_gradient_equals_autograd(blocks, activation, inactive, lam):
    model = random_model(blocks, activation=activation, inactive=inactive, seed=3)
    x, y = _data(model)
    J = cost(model, x, y, lam).total
    auto = torch.autograd.grad(J, list(model.parameters()))
    adj = adjoint_gradient(model, x, y, lam)
    assert len(adj) == len(auto)
    num = sum(float(((a - b) ** 2).sum()) for a, b in zip(adj, auto, strict=True)) ** 0.5
    den = sum(float((b**2).sum()) for b in auto) ** 0.5
    assert num / den < 1e-10


@pytest.mark.parametrize("blocks, activation, inactive, lam", CASES[:3] + CASES[5:6])
def test_gradient_agrees_with_central_finite_differences(blocks, activation, inactive, lam):
    model = random_model(blocks, activation=activation, inactive=inactive, seed=4)
    x, y = _data(model, seed=1)
    grad = adjoint_gradient(model, x, y, lam)
    g = torch.Generator().manual_seed(2)
    params = list(model.parameters())
    eps = 1e-6
    for _ in range(5):
        direction = [torch.randn(p.shape, generator=g, dtype=torch.float64) for p in params]
        with torch.no_grad():
            for p, v in zip(params, direction, strict=True):
                p.add_(eps * v)
            plus = float(cost(model, x, y, lam).total)
            for p, v in zip(params, direction, strict=True):
                p.sub_(2 * eps * v)
            minus = float(cost(model, x, y, lam).total)
            for p, v in zip(params, direction, strict=True):
                p.add_(eps * v)
        fd = (plus - minus) / (2 * eps)
        analytic = sum(float((gp * v).sum()) for gp, v in zip(grad, direction, strict=True))
        assert fd == pytest.approx(analytic, rel=1e-6, abs=1e-9)


def test_costate_is_the_gradient_with_respect_to_the_states():
    """p_k = −∂(fidelity)/∂x_k, checked with autograd through the trajectory."""
    model = random_model([(3, 3), (1, 2), (3, 3)], seed=5)
    x, y = _data(model, n=6)
    p = costates(model, x, y)
    assert p.shape == (model.profile.steps + 1, 6, 3)
    torch.testing.assert_close(p[-1], -(2 / 6) * (model(x) - y))
    # autograd: perturb the state at layer k through a hook on the internal loop
    for k in (0, 2, 4, 7):
        state = model.initial_state(x)
        for j in range(k):
            state = model.step(j, state)
        state = state.detach().requires_grad_(True)
        out = state
        for j in range(k, model.profile.steps):
            out = model.step(j, out)
        fid = ((model.pad(out) - y) ** 2).sum() / 6
        (g,) = torch.autograd.grad(fid, state)
        torch.testing.assert_close(model.pad(-g), p[k], rtol=1e-12, atol=1e-14)


def test_hamiltonian_gradient_gives_the_cost_gradient():
    """∇_θ J = −h ∇_θ H_k: differentiate the Hamiltonian of layer k with the states frozen."""
    model = random_model([(2, 4), (1, 4), (2, 4)], seed=6)
    x, y = _data(model)
    lam = 0.7
    H = hamiltonian(model, x, y, lam)
    assert H.shape == (12,)
    grad = adjoint_gradient(model, x, y, lam)
    Wk, bk = model.controls()[5]
    from autoencode_lib import forward_backward

    sweep = forward_backward(model, x, y)
    W = Wk.detach().clone().requires_grad_(True)
    b = bk.detach().clone().requires_grad_(True)
    Hk = (sweep.active_costates[5] * torch.tanh(sweep.inputs[5] @ W.T + b)).sum() - lam * (
        (W**2).sum() + (b**2).sum()
    )
    assert float(Hk) == pytest.approx(float(H[5]), rel=1e-13)
    gW, gb = torch.autograd.grad(Hk, (W, b))
    h = model.profile.step_size
    torch.testing.assert_close(grad[10], -h * gW, rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(grad[11], -h * gb, rtol=1e-12, atol=1e-15)


def test_gradient_is_2_lambda_h_times_theta_minus_phi():
    model = random_model([(3, 3), (2, 3), (3, 3)], seed=7)
    x, y = _data(model)
    lam = 0.4
    h = model.profile.step_size
    phi = stationarity_map(model, x, y, lam)
    grad = adjoint_gradient(model, x, y, lam)
    expect = [2 * lam * h * (p - q) for (W, b), (W2, b2) in zip(model.controls(), phi, strict=True)
              for p, q in ((W, W2), (b, b2))]
    for a, b in zip(grad, expect, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-15)


def test_stationarity_residual_vanishes_at_a_pmp_point():
    """For λ large, θ ← Φ(θ) contracts; its fixed point has zero residual and zero gradient."""
    model = random_model([(2, 3), (1, 3), (2, 3)], seed=8)
    x, y = _data(model, n=20)
    lam = 5.0
    residuals = []
    for _ in range(60):
        model.set_controls(stationarity_map(model, x, y, lam))
        residuals.append(stationarity_residual(model, x, y, lam))
    assert residuals[-1] < 1e-12
    assert residuals[-1] < residuals[0] * 1e-6
    grad = adjoint_gradient(model, x, y, lam)
    assert max(float(g.abs().max()) for g in grad) < 1e-12
    # the same point is stationary for autograd too
    J = cost(model, x, y, lam).total
    auto = torch.autograd.grad(J, list(model.parameters()))
    assert max(float(g.abs().max()) for g in auto) < 1e-12


def test_cost_terms():
    model = random_model([(2, 3), (1, 3), (2, 3)], seed=9)
    x, y = _data(model)
    c = cost(model, x, y, 0.25)
    assert float(c.total) == pytest.approx(float(c.fidelity + c.regularization))
    assert float(c.fidelity) == pytest.approx(float(((model(x) - y) ** 2).sum(1).mean()))
    assert float(c.regularization) == pytest.approx(0.25 * float(tikhonov(model)))
    assert float(c.per_coordinate_mse.sum()) == pytest.approx(float(c.fidelity))
    # y=None is autoencoding
    assert float(cost(model, x, None, 0.0).total) == pytest.approx(float(cost(model, x, x, 0.0).total))
