"""SPEC §5: Hessians, Lanczos, slices and the convexity radius."""

import numpy as np
import pytest
import torch
from conftest import random_model

from autoencode_lib import AutoencODE, WidthProfile
from autoencode_lib.analysis import (
    convexity_radius,
    directional_curvature,
    flat_parameters,
    hessian,
    hessian_eigs,
    landscape_plane,
    landscape_slice,
)
from autoencode_lib.data import curve


def relu_quadratic_model():
    """One ReLU layer with every pre-activation positive: out = x + h (W x + b) is linear in θ, so J
    is exactly quadratic near θ and its Hessian is (2/N) Σ A_iᵀ A_i + 2λh I with A_i = ∂out_i/∂θ."""
    profile = WidthProfile.constant(dim=2, steps=1, horizon=0.5)
    model = AutoencODE(profile, activation="relu", dtype=torch.float64)
    with torch.no_grad():
        model.layers[0].weight.copy_(torch.tensor([[0.5, 0.2], [0.1, 0.7]]))
        model.layers[0].bias.copy_(torch.tensor([3.0, 3.0]))
    g = torch.Generator().manual_seed(0)
    x = torch.rand(10, 2, generator=g, dtype=torch.float64)
    y = torch.randn(10, 2, generator=g, dtype=torch.float64)
    return model, x, y


def test_hessian_of_an_exact_quadratic():
    model, x, y = relu_quadratic_model()
    lam, h, n = 0.3, 0.5, x.shape[0]
    expected = 2 * lam * h * torch.eye(6, dtype=torch.float64)
    for xi in x:
        A = torch.zeros(2, 6, dtype=torch.float64)
        for a in range(2):
            A[a, 2 * a: 2 * a + 2] = h * xi  # W is row-major: W[a, b] at index 2a + b
            A[a, 4 + a] = h
        expected += (2 / n) * A.T @ A
    torch.testing.assert_close(hessian(model, x, y, lam), expected, rtol=1e-12, atol=1e-12)


@pytest.fixture(scope="module")
def small():
    model = random_model([(2, 3), (1, 3), (2, 3)], seed=1)
    return model, curve(40, seed=0).x


def test_lanczos_agrees_with_the_dense_hessian(small):
    model, x = small
    lam = 1e-2
    dense = torch.linalg.eigvalsh(hessian(model, x, None, lam)).numpy()
    np.testing.assert_allclose(hessian_eigs(model, x, None, lam, k=4, which="smallest"), dense[:4],
                               rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(hessian_eigs(model, x, None, lam, k=3, which="largest"), dense[-3:],
                               rtol=1e-7, atol=1e-9)


def test_slice_second_difference_matches_curvature(small):
    model, x = small
    lam = 1e-2
    H = hessian(model, x, None, lam)
    g = torch.Generator().manual_seed(3)
    for _ in range(3):
        v = torch.randn(model.num_parameters(), generator=g, dtype=torch.float64)
        v = v / v.norm()
        s, J = landscape_slice(model, x, None, lam, v, radius=1e-3, points=3)
        second = (J[0] - 2 * J[1] + J[2]) / (s[1] - s[0]) ** 2
        assert second == pytest.approx(float(v @ H @ v), rel=1e-5, abs=1e-8)
        assert directional_curvature(model, x, None, lam, v, [0.0])[0] == pytest.approx(
            float(v @ H @ v), rel=1e-10)


def test_slice_does_not_move_the_model(small):
    model, x = small
    before = flat_parameters(model)
    s, J = landscape_slice(model, x, None, 0.1, torch.ones(model.num_parameters()), radius=2.0, points=11)
    assert torch.equal(before, flat_parameters(model))
    assert s.shape == J.shape == (11,) and np.all(np.isfinite(J))
    _, _, grid = landscape_plane(model, x, None, 0.1, torch.ones(model.num_parameters()),
                                 torch.arange(model.num_parameters()), radius=1.0, points=5)
    assert grid.shape == (5, 5) and grid[2, 2] == pytest.approx(J[5])


def test_convexity_radius():
    model, x, y = relu_quadratic_model()  # constant positive curvature near θ
    r, details = convexity_radius(model, x, y, 0.3, directions=8, max_radius=0.5, points=11,
                                  return_details=True)
    assert details["censored"] and r == 0.5
    neg = random_model([(2, 3), (1, 3), (2, 3)], seed=1)  # random controls: negative curvature at θ
    xs = curve(40, seed=0).x
    assert torch.linalg.eigvalsh(hessian(neg, xs, None, 1e-2))[0] < 0
    # some sampled directions see negative curvature at θ, so the radius is 0
    assert convexity_radius(neg, xs, None, 1e-2, directions=64, points=5) == 0.0


def test_bad_arguments(small):
    model, x = small
    with pytest.raises(ValueError, match="only built"):
        hessian(model, x, None, 0.1, max_parameters=10)
    with pytest.raises(ValueError, match="entries"):
        landscape_slice(model, x, None, 0.1, torch.ones(3))
    with pytest.raises(ValueError, match="zero vector"):
        landscape_slice(model, x, None, 0.1, torch.zeros(model.num_parameters()))
    with pytest.raises(ValueError, match="points"):
        convexity_radius(model, x, None, 0.1, directions=2, points=1)
    with pytest.raises(ValueError, match="which"):
        hessian_eigs(model, x, None, 0.1, which="middle")
    with pytest.raises(ValueError, match="k must be"):
        hessian_eigs(model, x, None, 0.1, k=10_000)
    with pytest.raises(ValueError, match="λ"):
        hessian(model, x, None, -1.0)
