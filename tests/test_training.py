"""SPEC §4: the trainers behind ``train``."""

import math

import pytest
import torch

from autoencode_lib import AutoencODE, WidthProfile, cost
from autoencode_lib.data import curve
from autoencode_lib.training import METHODS, TrainingDiverged, train

PROFILE = WidthProfile.from_blocks([(2, 4), (1, 4), (2, 4)], horizon=2.0)


def fresh(seed=0, dtype=torch.float64):
    return AutoencODE(PROFILE, dtype=dtype, seed=seed)


@pytest.fixture(scope="module")
def data():
    return curve(48, seed=0).x


@pytest.mark.parametrize(
    "method, options",
    [
        ("gradient_flow", {"step_size": 2.0}),
        ("gradient_flow", {"step_size": 50.0, "armijo": True}),
        ("adam", {"lr": 0.05}),
        ("shooting", {}),
        ("minimizing_movement", {}),
        ("continuation", {"stages": 3}),
    ],
)
def test_every_method_lowers_the_cost(data, method, options):
    model = fresh()
    lam = 1e-2 if method != "shooting" else 1.0
    before = float(cost(model, data, None, lam).total.detach())
    result = train(model, data, None, lam, method=method, iterations=30, progress=False, **options)
    after = float(cost(model, data, None, lam).total.detach())
    assert after < 0.5 * before, (method, before, after)
    assert result.status in ("converged", "max_iterations")
    assert result.final["total"] == pytest.approx(after, rel=1e-12)
    frame = result.history_frame()
    for column in ("total", "fidelity", "regularization", "grad_norm", "step_norm", "wall_time", "lam"):
        assert column in frame.columns
    assert len(frame) == result.iterations + 1
    assert (frame.wall_time.diff().dropna() >= 0).all()
    if method == "continuation":  # its first record is at λ_start; the fidelity is the same
        start = float(cost(fresh(), data, None, 0.0).total)
        assert frame.fidelity.iloc[0] == pytest.approx(start, rel=1e-12)
        assert frame.lam.iloc[0] == pytest.approx(1.0) and frame.lam.iloc[-1] == pytest.approx(lam)
    else:
        assert frame.total.iloc[0] == pytest.approx(before, rel=1e-12)


def test_shooting_converges_for_large_lambda(data):
    model = fresh()
    result = train(model, data, None, 1.0, method="shooting", iterations=500, progress=False)
    assert result.status == "converged"
    residuals = result.history_frame().stationarity_residual
    assert residuals.iloc[-1] < 1e-8
    assert residuals.iloc[-1] < residuals.iloc[0]


def test_shooting_reports_divergence_for_tiny_lambda(data):
    model = fresh()
    result = train(model, data, None, 1e-4, method="shooting", iterations=200, progress=False)
    assert result.status == "diverged"
    assert "does not contract" in result.message or "not finite" in result.message
    assert all(torch.isfinite(p).all() for p in model.parameters())
    residuals = result.history_frame().stationarity_residual
    assert residuals.iloc[-1] >= residuals.iloc[-11]  # the window that triggered the stop
    with pytest.raises(TrainingDiverged, match="does not contract"):
        train(fresh(), data, None, 1e-4, method="shooting", iterations=200, progress=False,
              on_divergence="raise")


def test_minimizing_movement_energy_inequality(data):
    model = fresh()
    tau = 50.0
    result = train(model, data, None, 1e-3, method="minimizing_movement", iterations=8, tau=tau,
                   progress=False)
    frame = result.history_frame()
    for k in range(1, len(frame)):
        lhs = frame.total[k] + frame.step_norm[k] ** 2 / (2 * tau)
        assert lhs <= frame.total[k - 1] + 1e-10, k
        assert frame.energy_gap[k] == pytest.approx(lhs - frame.total[k - 1], abs=1e-12)


def test_continuation_schedule_warm_starts_and_switches(data):
    lam, lam_start, stages, per_stage = 1e-3, 1.0, 3, 40
    model = fresh()
    result = train(model, data, None, lam, method="continuation", iterations=2 * per_stage + 10,
                   lam_start=lam_start, stages=stages, stage_iterations=per_stage, progress=False)
    frame = result.history_frame()
    expected = [lam_start * (lam / lam_start) ** (s / (stages - 1)) for s in range(stages)]
    for s in range(stages):
        rows = frame[frame.stage == s]
        assert len(rows) > 0
        assert rows.lam.unique().tolist() == pytest.approx([expected[s]])
        inner = rows.inner.tolist()
        # shooting first, then (at most one) switch to minimising movement for the rest of the stage
        if "minimizing_movement" in inner:
            first = inner.index("minimizing_movement")
            assert set(inner[first:]) == {"minimizing_movement"}
            assert rows.switch.tolist() == [i == first for i in range(len(inner))]
        else:
            assert not rows.switch.any()
    assert (frame.stage.diff().dropna() >= 0).all()
    # shooting contracts at λ = 1: the stage ends early, at its residual tolerance
    first = frame[frame.stage == 0]
    assert first.inner.eq("shooting").all()
    assert first.stationarity_residual.iloc[-1] < 1e-4 and len(first) < per_stage
    # tiny λ stages switch
    assert frame[frame.stage == 2].switch.sum() == 1

    # warm starts: replaying stage by stage with a one-stage continuation gives the same history
    replay = fresh()
    for s in range(stages):
        n = int((frame.stage == s).sum()) - (1 if s == 0 else 0)
        part = train(replay, data, None, expected[s], method="continuation", stages=1,
                     iterations=n, progress=False).history_frame()
        mine = frame[frame.stage == s].total.to_numpy()
        theirs = part.total.to_numpy()[1:] if s > 0 else part.total.to_numpy()
        assert theirs == pytest.approx(mine, rel=1e-9)


def test_diverging_step_size_raises_and_keeps_finite_controls(data):
    model = fresh()
    with pytest.raises(TrainingDiverged) as info:
        train(model, data, None, 1.0, method="gradient_flow", step_size=1e4, iterations=100,
              progress=False)
    err = info.value
    assert err.iteration >= 1 and math.isfinite(err.last_finite_cost)
    assert f"iteration {err.iteration}" in str(err)
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert float(cost(model, data, None, 1.0).total) == pytest.approx(err.last_finite_cost, rel=1e-12)


def test_nan_data_raises_training_diverged(data):
    bad = data.clone()
    bad[3, 1] = float("nan")
    model = fresh()
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(TrainingDiverged, match="NaN") as info:
        train(model, bad, None, 1e-2, method="adam", iterations=5, progress=False)
    assert info.value.iteration == 0 and info.value.last_finite_cost is None
    assert isinstance(info.value, ValueError)  # bad input, not a step size to shrink
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_bad_arguments(data):
    with pytest.raises(ValueError, match="unknown method 'sgd'"):
        train(fresh(), data, None, 1e-2, method="sgd")
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['lr'\] for method 'shooting'"):
        train(fresh(), data, None, 1.0, method="shooting", lr=0.1)
    with pytest.raises(ValueError, match="λ"):
        train(fresh(), data, None, -1.0, method="adam")
    with pytest.raises(ValueError, match="iterations"):
        train(fresh(), data, None, 1.0, method="adam", iterations=-3)
    with pytest.raises(ValueError, match="needs λ > 0"):
        train(fresh(), data, None, 0.0, method="shooting")
    with pytest.raises(ValueError, match="divergence_factor"):
        train(fresh(), data, None, 1.0, method="adam", divergence_factor=-1)
    with pytest.raises(ValueError, match="lam_start"):
        train(fresh(), data, None, 1.0, method="continuation", lam_start=0.1)


def test_same_seed_same_history(data):
    runs = [train(fresh(), data, None, 1e-2, method=m, iterations=10, seed=3, progress=False)
            for m in ("adam", "adam")]
    assert runs[0].history_frame().total.tolist() == runs[1].history_frame().total.tolist()


@pytest.mark.parametrize("method", METHODS)
def test_float32_runs(data, method):
    model = fresh(dtype=torch.float32)
    lam = 1.0 if method == "shooting" else 1e-2
    result = train(model, data.float(), None, lam, method=method, iterations=5, progress=False,
                   **({"tol": 1e-5} if method in ("shooting", "continuation") else {}))
    assert math.isfinite(result.final["total"])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("method", METHODS)
def test_cuda(data, method):
    model = AutoencODE(PROFILE, dtype=torch.float64, device="cuda", seed=0)
    lam = 1.0 if method == "shooting" else 1e-2
    result = train(model, data.cuda(), None, lam, method=method, iterations=5, progress=False)
    assert math.isfinite(result.final["total"])


def test_threads_are_restored_and_validated(data):
    before = torch.get_num_threads()
    train(fresh(), data, None, 1e-2, method="adam", iterations=2, progress=False, threads=2)
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="threads"):
        train(fresh(), data, None, 1e-2, method="adam", iterations=2, progress=False, threads=0)
