"""Bad input gets a clear error naming the problem."""

import numpy as np
import pytest
import torch

from autoencode_lib import AutoencODE, WidthProfile, adjoint_gradient, cost, stationarity_map


@pytest.fixture
def model(curve_profile):
    return AutoencODE(curve_profile, dtype=torch.float64)


@pytest.mark.parametrize("lam", [-1.0, float("nan"), float("inf")])
def test_bad_lambda(model, lam):
    x = torch.zeros(3, 2)
    with pytest.raises(ValueError, match="λ"):
        cost(model, x, x, lam)
    with pytest.raises(ValueError, match="λ"):
        adjoint_gradient(model, x, x, lam)


def test_lambda_of_wrong_type(model):
    with pytest.raises(TypeError, match="λ"):
        cost(model, torch.zeros(3, 2), None, "0.1")


def test_stationarity_map_needs_positive_lambda(model):
    with pytest.raises(ValueError, match="λ > 0"):
        stationarity_map(model, torch.zeros(3, 2), None, 0.0)


@pytest.mark.parametrize(
    "x, exc, match",
    [
        (torch.zeros(3, 3), ValueError, r"shape \(N, 2\)"),
        (torch.zeros(3), ValueError, r"shape \(N, 2\)"),
        (torch.zeros(0, 2), ValueError, "empty"),
        (torch.tensor([[0.0, float("nan")]]), ValueError, "NaN"),
        (torch.tensor([[0.0, float("inf")]]), ValueError, "infinite"),
        ([[0.0, 1.0]], TypeError, "torch.Tensor"),
    ],
)
def test_bad_inputs(model, x, exc, match):
    with pytest.raises(exc, match=match):
        model(x)
    with pytest.raises(exc, match=match):
        cost(model, x, None, 0.1)


def test_numpy_input_is_accepted(model):
    out = model(np.zeros((4, 2)))
    assert out.shape == (4, 2) and out.dtype == torch.float64


def test_mismatched_targets(model):
    with pytest.raises(ValueError, match="same number of samples"):
        cost(model, torch.zeros(3, 2), torch.zeros(4, 2), 0.1)
    with pytest.raises(ValueError, match="y must have shape"):
        cost(model, torch.zeros(3, 2), torch.zeros(3, 1), 0.1)


def test_unknown_activation_and_mode(curve_profile):
    with pytest.raises(ValueError, match="unknown activation 'sigmoid'"):
        AutoencODE(curve_profile, activation="sigmoid")
    with pytest.raises(ValueError, match="unknown inactive mode 'zero'"):
        AutoencODE(curve_profile, inactive="zero")
    with pytest.raises(TypeError, match="WidthProfile"):
        AutoencODE([(2, 3)])
    with pytest.raises(TypeError, match="dtype"):
        AutoencODE(curve_profile, dtype=torch.int64)


def test_encode_without_narrowing():
    model = AutoencODE(WidthProfile.constant(dim=2, steps=3))
    with pytest.raises(ValueError, match="no bottleneck"):
        model.encode(torch.zeros(2, 2))


def test_decode_checks_latent_width(model):
    with pytest.raises(ValueError, match=r"z must have shape \(N, 1\)"):
        model.decode(torch.zeros(3, 2))


def test_unknown_solver(model):
    with pytest.raises(ValueError, match="unknown solver"):
        model(torch.zeros(2, 2), solver="rk45")
    with pytest.raises(ValueError, match="substeps"):
        model(torch.zeros(2, 2), solver="rk4", substeps=0)


def test_set_controls_checks_shapes(model):
    with pytest.raises(ValueError, match="layer 0"):
        model.set_controls([(torch.zeros(3, 3), torch.zeros(3))] + model.controls()[1:])
    with pytest.raises(ValueError, match="expected 30"):
        model.set_controls(model.controls()[:3])


def test_only_float32_and_float64_models(curve_profile):
    for dtype in (torch.float16, torch.bfloat16, torch.complex64):
        with pytest.raises(TypeError, match="float32 or torch.float64"):
            AutoencODE(curve_profile, dtype=dtype)


@pytest.mark.parametrize("seed", [-1, 1.5, "a", True])
def test_bad_seed(curve_profile, seed):
    with pytest.raises(ValueError, match="seed"):
        AutoencODE(curve_profile, seed=seed)


@pytest.mark.parametrize("x", [torch.zeros(3, 2, dtype=torch.complex64), torch.zeros(3, 2, dtype=torch.bool)])
def test_complex_or_bool_inputs_are_refused(model, x):
    with pytest.raises(TypeError, match="real numbers"):
        model(x)


def test_integer_inputs_are_cast(model):
    assert model(torch.zeros(3, 2, dtype=torch.int64)).dtype == torch.float64


def test_solver_options_without_a_solver(model):
    with pytest.raises(TypeError, match="solver="):
        model(torch.zeros(2, 2), rtol=1e-3)


def test_numpy_integers_in_blocks():
    import numpy as np

    profile = WidthProfile.from_blocks([(np.int64(2), np.int32(3)), (1, 2)])
    assert profile.widths == (2, 2, 2, 1, 1)


def test_data_generators_validate():
    from autoencode_lib.data import blob, curve, gaussian_mixture

    with pytest.raises(TypeError, match="float32 or torch.float64"):
        curve(4, dtype=torch.int64)
    with pytest.raises(ValueError, match="noise"):
        curve(4, noise=float("nan"))
    with pytest.raises(ValueError, match="spread"):
        gaussian_mixture(8, spread=-1.0)
    with pytest.raises(ValueError, match="dim"):
        gaussian_mixture(8, dim=2.5)
    with pytest.raises(ValueError, match="scale"):
        blob(4, scale=-0.1)
