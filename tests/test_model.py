"""SPEC §1: the model computes exactly the modified field and step."""

import pytest
import torch
from conftest import random_model

from autoencode_lib import AutoencODE, WidthProfile

BLOCKS = [(4, 3), (2, 2), (1, 3), (3, 2), (4, 3)]


def test_shapes_and_public_api(curve_profile):
    model = AutoencODE(curve_profile, dtype=torch.float64, seed=0)
    x = torch.randn(9, 2, dtype=torch.float64)
    assert model(x).shape == (9, 2)
    assert model.trajectory(x).shape == (31, 9, 2)
    assert model.encode(x).shape == (9, 1)
    assert model.decode(model.encode(x)).shape == (9, 2)
    controls = model.controls()
    assert len(controls) == 30
    assert [tuple(W.shape) for W, _ in controls] == [(w, w) for w in curve_profile.widths]
    params = list(model.parameters())
    assert params[0] is controls[0][0] and params[1] is controls[0][1] and params[2] is controls[1][0]


def test_step_is_the_spec_formula():
    """x_{k+1} = P_k x_k + h P_k σ(W_k P_k x_k + b_k), written with dense d×d matrices."""
    model = random_model(BLOCKS, seed=3)
    d, h = model.profile.dim, model.profile.step_size
    x = torch.randn(6, d, dtype=torch.float64)
    traj = model.trajectory(x)
    state = x.clone()
    state[:, model.profile.widths[0]:] = 0
    assert torch.equal(traj[0], state)
    for k, (W, b) in enumerate(model.controls()):
        w = W.shape[0]
        P = torch.diag((torch.arange(d) < w).double())
        Wd = torch.zeros(d, d, dtype=torch.float64)
        Wd[:w, :w] = W
        bd = torch.zeros(d, dtype=torch.float64)
        bd[:w] = b
        state = state @ P + h * torch.tanh(state @ P @ Wd.T + bd) @ P
        torch.testing.assert_close(traj[k + 1], state, rtol=0, atol=1e-14)


def test_inactive_coordinates_are_exactly_zero_with_reset():
    model = random_model(BLOCKS, seed=1)
    x = torch.randn(11, 4, dtype=torch.float64) * 3
    traj = model.trajectory(x)
    widths = model.profile.widths
    for k in range(len(widths)):
        # the state x_{k+1} lives in A_k; x_0 in A_0
        assert torch.all(traj[k + 1][:, widths[k]:] == 0)
    assert torch.all(traj[0][:, widths[0]:] == 0)
    # at the bottleneck the state lies in R^m x {0}
    kb = model.profile.bottleneck_end
    assert torch.all(traj[kb][:, 1:] == 0)


def test_freeze_keeps_inactive_coordinates():
    model = random_model(BLOCKS, inactive="freeze", seed=1)
    x = torch.randn(5, 4, dtype=torch.float64)
    traj = model.trajectory(x)
    assert torch.equal(traj[0], x)
    for k, w in enumerate(model.profile.widths):
        assert torch.equal(traj[k + 1][:, w:], traj[k][:, w:])


def test_no_leak_through_the_bottleneck():
    """Inputs with the same latent code give the same output (reset), but not with freeze."""
    torch.manual_seed(0)
    model = random_model(BLOCKS, seed=2)
    x = torch.randn(8, 4, dtype=torch.float64)
    # coordinates 1.. are discarded at t=0? no: w_0 = 4. Perturb along the null directions of the
    # encoder Jacobian, which leave encode(x) unchanged to first order, then project exactly.
    for i in range(x.shape[0]):
        xi = x[i : i + 1]
        jac = torch.autograd.functional.jacobian(lambda v: model.encode(v), xi).reshape(1, 4)
        null = torch.linalg.svd(jac).Vh[1:]  # 3 directions with J v = 0
        for v in null:
            moved = xi + 1e-4 * v
            assert torch.allclose(model.encode(moved), model.encode(xi), atol=1e-11)
            assert torch.allclose(model(moved), model(xi), atol=1e-10)
    # exact statement: the output is decode(encode(x))
    torch.testing.assert_close(model(x), model.decode(model.encode(x)), rtol=0, atol=0)

    leaky = random_model(BLOCKS, inactive="freeze", seed=2)
    x2 = x.clone()
    x2[:, 3] += 1.0  # coordinate 3 is inactive from layer 3 on: the encoder does not see it …
    leaky.set_controls([(W, b) for W, b in leaky.controls()])
    assert not torch.allclose(leaky(x2), leaky(x))  # … yet the frozen model's output moves


def test_neurode_equals_a_hand_written_resnet():
    profile = WidthProfile.constant(dim=3, steps=12, horizon=2.0)
    model = AutoencODE(profile, dtype=torch.float64, seed=5)
    x = torch.randn(10, 3, dtype=torch.float64)
    state = x
    for W, b in model.controls():
        state = state + profile.step_size * torch.tanh(state @ W.T + b)
    torch.testing.assert_close(model(x), state, rtol=0, atol=1e-14)


@pytest.mark.parametrize("inactive", ["reset", "freeze"])
def test_torchdiffeq_euler_on_the_aligned_grid_equals_the_loop(inactive):
    model = random_model(BLOCKS, inactive=inactive, seed=4)
    x = torch.randn(7, 4, dtype=torch.float64)
    torch.testing.assert_close(model(x, solver="euler"), model(x), rtol=0, atol=1e-12)
    torch.testing.assert_close(
        model.solve(x, "euler", return_trajectory=True), model.trajectory(x), rtol=0, atol=1e-12
    )


def test_euler_converges_to_the_ode_solution_at_first_order():
    """Fixed piecewise-constant controls; refining the Euler grid approaches rk4/dopri5."""
    model = random_model([(3, 2), (1, 2), (3, 2)], horizon=2.0, seed=6)
    x = torch.randn(20, 3, dtype=torch.float64)
    exact = model(x, solver="dopri5", rtol=1e-11, atol=1e-12)
    rk4 = model(x, solver="rk4", substeps=64)
    torch.testing.assert_close(rk4, exact, rtol=0, atol=1e-9)
    errors = [float((model.refined(f)(x) - exact).detach().abs().max()) for f in (4, 8, 16, 32)]
    assert all(a > b for a, b in zip(errors, errors[1:], strict=False))
    ratios = [a / b for a, b in zip(errors, errors[1:], strict=False)]
    assert all(1.7 < r < 2.3 for r in ratios), ratios  # first order: halving h halves the error


def test_seed_gives_reproducible_controls(curve_profile):
    a = AutoencODE(curve_profile, seed=7)
    b = AutoencODE(curve_profile, seed=7)
    c = AutoencODE(curve_profile, seed=8)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters(), strict=True))


def test_float32_and_float64(curve_profile):
    for dtype in (torch.float32, torch.float64):
        model = AutoencODE(curve_profile, dtype=dtype)
        out = model(torch.randn(3, 2))  # input cast to the model dtype
        assert out.dtype == dtype


@pytest.mark.parametrize("activation", ["tanh", "softplus", "relu", "leaky_relu"])
def test_activations_run(curve_profile, activation):
    model = AutoencODE(curve_profile, activation=activation, dtype=torch.float64)
    assert torch.isfinite(model(torch.randn(4, 2))).all()
