"""Continuous-time controls of a network (autoencode_lib.interpolation) and the log-log fit of
figure 7 (autoencode_lib.experiments.limits)."""

import math

import numpy as np
import pytest
import torch
from conftest import random_model

from autoencode_lib.experiments.limits import loglog_fit
from autoencode_lib.interpolation import control_at, interpolated, solve_interpolated

BLOCKS = [(3, 3), (1, 2), (3, 3)]


@pytest.fixture
def model():
    return random_model(BLOCKS, horizon=2.0, seed=4)


@pytest.fixture
def x():
    return torch.randn(7, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)


def test_factor_one_gives_the_network_back(model, x):
    for kind in ("constant", "linear"):
        same = interpolated(model, 1, kind)
        for (W, b), (W1, b1) in zip(model.controls(), same.controls(), strict=True):
            assert torch.equal(W, W1) and torch.equal(b, b1)
        assert torch.equal(same(x), model(x))


def test_constant_kind_is_refined(model, x):
    assert torch.equal(interpolated(model, 3, "constant")(x), model.refined(3)(x))


def test_linear_control_values(model):
    h = model.profile.step_size
    (W0, b0), (W1, b1), (W2, b2), (W3, b3) = model.controls()[:4]
    # at a midpoint: the layer's own control
    W, b = control_at(model, 1.5 * h, "linear", layer=1)
    assert torch.equal(W, W1) and torch.equal(b, b1)
    # between midpoints of the same block: linear
    W, b = control_at(model, 1.75 * h, "linear", layer=1)
    assert torch.allclose(W, 0.75 * W1 + 0.25 * W2) and torch.allclose(b, 0.75 * b1 + 0.25 * b2)
    # first and last half-cells of a block: constant (no interpolation across a width change)
    assert torch.equal(control_at(model, 0.1 * h, "linear", layer=0)[0], W0)
    assert torch.equal(control_at(model, 2.9 * h, "linear", layer=2)[0], W2)
    assert control_at(model, 3.1 * h, "linear", layer=3)[0].shape == W3.shape == (1, 1)
    # continuous inside a block: both cells agree at their common boundary
    left = control_at(model, 2 * h, "linear", layer=1)[0]
    right = control_at(model, 2 * h, "linear", layer=2)[0]
    assert torch.allclose(left, right)


def test_linear_refinement_samples_cell_midpoints(model):
    fine = interpolated(model, 4, "linear")
    h = fine.profile.step_size
    for j in (0, 5, 13, 30):
        k = j // 4
        expected = control_at(model, (j + 0.5) * h, "linear", layer=k)
        assert torch.allclose(fine.controls()[j][0], expected[0])
        assert torch.allclose(fine.controls()[j][1], expected[1])


def test_constant_solve_matches_the_model_solve(model, x):
    ours = solve_interpolated(model, x, kind="constant", rtol=1e-10, atol=1e-12)
    theirs = model(x, solver="dopri5", rtol=1e-10, atol=1e-12)
    assert torch.allclose(ours, theirs, atol=1e-9)


def test_constant_controls_make_linear_equal_constant(x):
    m = random_model([(2, 2), (1, 3), (2, 2)], horizon=1.0, seed=1)
    controls = m.controls()
    with torch.no_grad():
        for k, (W, b) in enumerate(controls):
            first = next(j for j in range(k + 1) if controls[j][0].shape == W.shape)
            W.copy_(controls[first][0])
            b.copy_(controls[first][1])
    x = x[:, :2]
    assert torch.allclose(solve_interpolated(m, x, "linear"), solve_interpolated(m, x, "constant"), atol=1e-9)
    assert torch.allclose(interpolated(m, 3, "linear")(x), m.refined(3)(x), atol=1e-14)


def test_euler_converges_to_the_linear_ode_at_first_order(model, x):
    reference = solve_interpolated(model, x, kind="linear")
    factors = [8, 16, 32, 64]
    with torch.no_grad():
        errors = [float((interpolated(model, f, "linear")(x) - reference).norm()) for f in factors]
    assert all(a > b for a, b in zip(errors, errors[1:], strict=False))
    slope, _ = loglog_fit(factors, errors)
    assert -1.15 < slope < -0.85, slope


def test_freeze_mode_is_supported(x):
    m = random_model([(3, 2), (1, 2), (3, 2)], inactive="freeze", seed=2)
    ours = solve_interpolated(m, x, kind="constant")
    assert torch.allclose(ours, m(x, solver="dopri5", rtol=1e-10, atol=1e-12), atol=1e-9)


def test_bad_arguments(model, x):
    with pytest.raises(ValueError, match="unknown interpolation kind 'cubic'"):
        interpolated(model, 2, "cubic")
    with pytest.raises(ValueError, match="factor must be an integer >= 1"):
        interpolated(model, 0)
    with pytest.raises(ValueError, match="adaptive"):
        solve_interpolated(model, x, solver="rk4")
    with pytest.raises(ValueError, match="outside"):
        control_at(model, 0.0, layer=99)


def test_loglog_fit_recovers_a_power_law():
    n = np.array([16, 64, 256, 1024])
    slope, intercept = loglog_fit(n, 3.0 * n**-0.5)
    assert math.isclose(slope, -0.5, abs_tol=1e-12) and math.isclose(intercept, math.log(3.0), abs_tol=1e-12)
    with pytest.raises(ValueError, match="positive"):
        loglog_fit([1, 2], [1.0, -1.0])
    with pytest.raises(ValueError, match="distinct"):
        loglog_fit([2, 2], [1.0, 2.0])


def test_tiny_run_and_figure():
    from autoencode_lib.experiments import limits
    from autoencode_lib.plotting_limits import limits_figure

    result = limits.run("smoke", n_values=[8, 16], repeats=2, iterations=2, test_samples=64,
                        depth_steps=[4, 8, 16], depth_samples=8, trained_factors=[1, 4, 8], use_cache=False)
    assert result.gap.shape == (2, 2) and result.trained_steps.tolist() == [30, 120, 240]
    assert result.trained_linear_fit_mask.tolist() == [False, True, True]
    summary = result.summary()
    assert summary["n_max"] == 16 and summary["depth_L_max"] == 16
    assert all(math.isfinite(v) for v in summary.values())
    assert -1.2 < summary["depth_slope"] < -0.8
    fig = limits_figure(result)
    assert len(fig.axes) == 4
