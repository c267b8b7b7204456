"""Figure 7: the two limits behind the continuous, mean-field view (SPEC §1–2, §6).

**Finite particles → mean field.** The curve 2 → 1 → 2 AutoencODE (architecture of figure 2) is
trained on N noisy samples of the S-curve for N over several doublings, ``repeats`` independent
training sets per N (each with its own initial controls). The trained controls θ̂_N are then
evaluated on a large fresh sample — the Monte-Carlo estimate of the mean-field cost J_∞(θ̂_N)
(SPEC §2) — and compared with the empirical cost J_N(θ̂_N) they were trained on. The generalisation
gap is J_∞(θ̂_N) − J_N(θ̂_N) (the Tikhonov term cancels: it is the difference of the fidelity terms).

**Depth → ODE.** (a) Random controls, piecewise constant on a coarse grid of 4 cells (widths
2 → 1 → 1 → 2 on [0, 3]), are evaluated by the ResNet with L = 4·2^j Euler steps
(:meth:`AutoencODE.refined`) and by dopri5 at tight tolerances on the layer-aligned grid
(:meth:`AutoencODE.solve`). (b) The same for the trained mean-field model (L = 30), with its
controls read as a piecewise-constant and as a piecewise-linear function of time
(:mod:`autoencode_lib.interpolation`). The error is the root-mean-square distance between the
particles' Euler and ODE end states, an upper bound on the W₂ distance between the two output
measures.

The training runs and all errors are cached (:mod:`autoencode_lib.cache`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..cache import cached
from ..cost import tikhonov
from ..data import curve
from ..interpolation import interpolated, solve_interpolated
from ..model import AutoencODE
from ..profile import WidthProfile
from ..seeding import seed_everything
from .architecture import ARCHITECTURES
from .common import profile_config, torch_threads

__all__ = ["DEPTH", "PARAMETERS", "PROFILES", "TRAINER", "LimitsResult", "loglog_fit", "run"]

# The notebook's parameters cell must declare exactly these names (tests/test_notebooks.py checks).
PARAMETERS = {
    "profile": "paper",
    "seed": 0,
    "device": "cpu",
    "out_dir": "figures",
    "lam": 1e-3,
    "noise": 0.1,
    "use_cache": True,
}

# How much work each profile does. "smoke" runs in seconds (tests); "paper" makes the figure.
PROFILES: dict[str, dict[str, Any]] = {
    "smoke": {
        "n_values": [16, 64, 256],
        "repeats": 2,
        "iterations": 60,
        "test_samples": 8192,
        "depth_steps": [4, 8, 16, 32, 64],
        "depth_samples": 64,
        "trained_factors": [1, 2, 4, 8],
    },
    "paper": {
        "n_values": [16, 32, 64, 128, 256, 512, 1024, 2048, 4096],
        "repeats": 6,
        "iterations": 300,
        "test_samples": 65536,
        "depth_steps": [4, 8, 16, 32, 64, 128, 256, 512, 1024],
        "depth_samples": 256,
        "trained_factors": [1, 2, 4, 8, 16, 32, 64],
    },
}

# Trainer of the mean-field part: explicit gradient flow with adjoint gradients and Armijo
# backtracking (SPEC §4.1), a fixed budget of iterations for every N.
TRAINER: dict[str, Any] = {"method": "gradient_flow", "step_size": 4.0, "armijo": True}

# Depth part: coarse grid of the fixed controls and the reference ODE solve.
DEPTH: dict[str, Any] = {
    "blocks": [(2, 1), (1, 2), (2, 1)],
    "horizon": 3.0,
    "init_scale": 1.5,
    "solver": "dopri5",
    "rtol": 1e-10,
    "atol": 1e-12,
}

# The piecewise-linear θ(t) of a trained network has slopes |θ'| ~ |θ_{k+1} − θ_k| / h, large when
# neighbouring layers differ a lot; the Euler error then has a big O(h²) term (∝ |θ'|²) before the
# O(h) term dominates. Its rate is fitted on refinement factors >= this one (the asymptotic regime).
LINEAR_FIT_MIN_FACTOR = 4


def loglog_fit(x, y) -> tuple[float, float]:
    """Least-squares line log y = slope · log x + intercept; returns (slope, intercept).

    Needs at least two distinct x and strictly positive x and y.
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape or x.size < 2 or np.unique(x).size < 2:
        raise ValueError(f"need >= 2 points with distinct x, got x={x.tolist()}")
    if not (np.all(x > 0) and np.all(y > 0) and np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError(f"log-log fit needs finite positive values, got x={x.tolist()}, y={y.tolist()}")
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
    return float(slope), float(intercept)


@dataclass
class LimitsResult:
    """Finite-particle and depth limits; arrays indexed [N index, repeat] and by L."""

    config: dict[str, Any]
    n_values: np.ndarray  # (K,)
    train_fidelity: np.ndarray  # (K, R): (1/N) Σ ‖x_L − x‖² on the training sample
    test_fidelity: np.ndarray  # (K, R): the same on the fresh sample (mean-field estimate)
    test_loss_std: np.ndarray  # (K, R): standard deviation of ‖x_L − x‖² over the fresh sample
    regularization: np.ndarray  # (K, R): λ h Σ ‖θ_k‖² of the trained controls
    status: list[list[str]]
    depth_steps: np.ndarray  # (J,) L of the fixed-control ResNets
    depth_error: np.ndarray  # (J,) RMS ‖x_L^Euler − x^ODE(T)‖ over the inputs
    depth_reference_check: float  # RMS difference of the ODE reference at tol and 100·tol
    trained_steps: np.ndarray  # (J',) L of the refined trained model
    trained_error_constant: np.ndarray  # (J',) piecewise-constant θ(t)
    trained_error_linear: np.ndarray  # (J',) piecewise-linear θ(t)
    trained_reference_check: dict[str, float]
    trained_n: int  # N of the model used for the depth limit
    compute_seconds: float  # of the run that filled the cache
    cache_key: str | None
    cache_hit: bool
    model: AutoencODE | None = field(default=None, repr=False)

    # ---------------------------------------------------------------- mean field
    @property
    def train_cost(self) -> np.ndarray:
        """J_N(θ̂_N): fidelity on the training sample + Tikhonov term."""
        return self.train_fidelity + self.regularization

    @property
    def test_cost(self) -> np.ndarray:
        """J_∞(θ̂_N), estimated on the fresh sample."""
        return self.test_fidelity + self.regularization

    @property
    def gap(self) -> np.ndarray:
        """Generalisation gap J_∞(θ̂_N) − J_N(θ̂_N), (K, R); can be negative for one repeat."""
        return self.test_fidelity - self.train_fidelity

    @property
    def gap_rms(self) -> np.ndarray:
        """Root mean square of the gap over the repeats, (K,): the size of the finite-N error."""
        return np.sqrt((self.gap**2).mean(axis=1))

    @property
    def gap_mean(self) -> np.ndarray:
        return self.gap.mean(axis=1)

    @property
    def clt_size(self) -> np.ndarray:
        """sd(ℓ)/√N, (K,): the size of the empirical-mean fluctuation J_N(θ) − J_∞(θ) at fixed θ
        (central limit theorem), the N^{-1/2} reference of the gap."""
        return self.test_loss_std.mean(axis=1) / np.sqrt(self.n_values)

    @property
    def trained_linear_fit_mask(self) -> np.ndarray:
        """Points of the piecewise-linear curve used for its fitted rate (factor >= LINEAR_FIT_MIN_FACTOR)."""
        return self.trained_factors >= LINEAR_FIT_MIN_FACTOR

    @property
    def trained_factors(self) -> np.ndarray:
        return np.asarray(self.config["trained_factors"])

    @property
    def test_cost_mean(self) -> np.ndarray:
        return self.test_cost.mean(axis=1)

    @property
    def train_cost_mean(self) -> np.ndarray:
        return self.train_cost.mean(axis=1)

    def fits(self) -> dict[str, tuple[float, float]]:
        """Fitted (slope, intercept) on log-log axes of every curve the figure shows."""
        return {
            "gap_rms": loglog_fit(self.n_values, self.gap_rms),
            "test_cost": loglog_fit(self.n_values, self.test_cost_mean),
            "depth": loglog_fit(self.depth_steps, self.depth_error),
            "trained_constant": loglog_fit(self.trained_steps, self.trained_error_constant),
            "trained_linear": loglog_fit(self.trained_steps[self.trained_linear_fit_mask],
                                         self.trained_error_linear[self.trained_linear_fit_mask]),
            "trained_linear_all": loglog_fit(self.trained_steps, self.trained_error_linear),
        }

    def summary(self) -> dict[str, Any]:
        """The key numbers (what the notebook prints and the acceptance cell checks)."""
        fits = self.fits()
        return {
            "n_min": int(self.n_values[0]),
            "n_max": int(self.n_values[-1]),
            "repeats": int(self.gap.shape[1]),
            "gap_rms_first": float(self.gap_rms[0]),
            "gap_rms_last": float(self.gap_rms[-1]),
            "gap_mean_first": float(self.gap_mean[0]),
            "gap_mean_last": float(self.gap_mean[-1]),
            "gap_slope": fits["gap_rms"][0],
            "clt_size_last": float(self.clt_size[-1]),
            "test_cost_first": float(self.test_cost_mean[0]),
            "test_cost_last": float(self.test_cost_mean[-1]),
            "test_cost_slope": fits["test_cost"][0],
            "depth_L_max": int(self.depth_steps[-1]),
            "depth_error_last": float(self.depth_error[-1]),
            "depth_slope": fits["depth"][0],
            "depth_reference_check": self.depth_reference_check,
            "trained_L_max": int(self.trained_steps[-1]),
            "trained_constant_slope": fits["trained_constant"][0],
            "trained_linear_slope": fits["trained_linear"][0],
            "trained_linear_slope_all": fits["trained_linear_all"][0],
            "trained_reference_check": max(self.trained_reference_check.values()),
        }


# --------------------------------------------------------------------------- models
def mean_field_model(seed: int, device: str = "cpu") -> AutoencODE:
    """The curve 2 → 1 → 2 AutoencODE of figure 2 (30 layers on [0, 3]), initial controls from seed."""
    spec = ARCHITECTURES["curve"]
    profile = WidthProfile.from_blocks(spec["blocks"], horizon=spec["horizon"])
    return AutoencODE(profile, activation="tanh", inactive="reset", dtype=torch.float64, device=device,
                      seed=seed)


def depth_model(seed: int, device: str = "cpu") -> AutoencODE:
    """Random piecewise-constant controls on the coarse grid of :data:`DEPTH`."""
    profile = WidthProfile.from_blocks(DEPTH["blocks"], horizon=DEPTH["horizon"])
    return AutoencODE(profile, activation="tanh", inactive="reset", dtype=torch.float64, device=device,
                      seed=seed, init_scale=DEPTH["init_scale"])


def _seeds(config: dict[str, Any]) -> tuple[list[int], int]:
    """Seeds of the training sets/initial controls (one per repeat) and of the fresh sample."""
    base = 1000 * config["seed"]
    return [base + r for r in range(config["repeats"])], base + 999


def _rms(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(((a - b) ** 2).sum(dim=1).mean().sqrt())


# --------------------------------------------------------------------------- compute
def _mean_field(config: dict[str, Any], device: str, progress: bool) -> dict[str, Any]:
    from ..training import train

    train_seeds, test_seed = _seeds(config)
    test = curve(config["test_samples"], seed=test_seed, noise=config["noise"]).x.to(device)
    shape = (len(config["n_values"]), config["repeats"])
    train_fid, test_fid, test_std, reg = (np.zeros(shape) for _ in range(4))
    status = [["" for _ in range(shape[1])] for _ in range(shape[0])]
    keep = None
    options = {k: v for k, v in TRAINER.items() if k != "method"}
    for i, n in enumerate(config["n_values"]):
        for r, s in enumerate(train_seeds):
            data = curve(n, seed=s, noise=config["noise"]).x.to(device)
            model = mean_field_model(s, device)
            result = train(model, data, data, config["lam"], method=TRAINER["method"],
                           iterations=config["iterations"], seed=s, progress=progress, **options)
            with torch.no_grad():
                err_train = model(data) - data
                err_test = model(test) - test
                train_fid[i, r] = float((err_train**2).sum(dim=1).mean())
                loss_test = (err_test**2).sum(dim=1)
                test_fid[i, r] = float(loss_test.mean())
                test_std[i, r] = float(loss_test.std())
                reg[i, r] = config["lam"] * float(tikhonov(model))
            status[i][r] = result.status
            if i == shape[0] - 1 and r == 0:
                keep = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return {"train_fidelity": train_fid.tolist(), "test_fidelity": test_fid.tolist(),
            "test_loss_std": test_std.tolist(),
            "regularization": reg.tolist(), "status": status, "state_dict": keep}


def _depth(config: dict[str, Any], model: AutoencODE, x: torch.Tensor, steps: list[int]) -> dict[str, Any]:
    """Euler (ResNet) with ``steps`` layers against the tight ODE solve, for piecewise-constant θ."""
    tol = {"rtol": DEPTH["rtol"], "atol": DEPTH["atol"]}
    with torch.no_grad():
        reference = model(x, solver=DEPTH["solver"], **tol)
        looser = model(x, solver=DEPTH["solver"], rtol=100 * tol["rtol"], atol=100 * tol["atol"])
        errors = []
        for L in steps:
            factor, rest = divmod(L, model.profile.steps)
            if rest or factor < 1:
                raise ValueError(f"L = {L} is not a multiple of the coarse grid's {model.profile.steps}")
            errors.append(_rms(model.refined(factor)(x), reference))
    return {"error": errors, "reference_check": _rms(reference, looser)}


def _trained_depth(model: AutoencODE, x: torch.Tensor, factors: list[int]) -> dict[str, Any]:
    tol = {"solver": DEPTH["solver"], "rtol": DEPTH["rtol"], "atol": DEPTH["atol"]}
    loose = dict(tol, rtol=100 * tol["rtol"], atol=100 * tol["atol"])
    out: dict[str, Any] = {"reference_check": {}}
    with torch.no_grad():
        for kind in ("constant", "linear"):
            reference = solve_interpolated(model, x, kind=kind, **tol)
            out["reference_check"][kind] = _rms(reference, solve_interpolated(model, x, kind=kind, **loose))
            out[kind] = [_rms(interpolated(model, f, kind)(x), reference) for f in factors]
    return out


def _compute(config: dict[str, Any], device: str, progress: bool) -> dict[str, Any]:
    seed_everything(config["seed"])
    start = time.perf_counter()
    with torch_threads(1):  # tiny matrices: one thread is fastest (see common.torch_threads)
        stored = _mean_field(config, device, progress)
        x = curve(config["depth_samples"], seed=config["seed"]).x.to(device)
        fixed = _depth(config, depth_model(config["seed"], device), x, config["depth_steps"])
        trained = mean_field_model(0, device)
        trained.load_state_dict(stored["state_dict"])
        trained_depth = _trained_depth(trained, x, config["trained_factors"])
    stored.update(depth_error=fixed["error"], depth_reference_check=fixed["reference_check"],
                  trained_error_constant=trained_depth["constant"],
                  trained_error_linear=trained_depth["linear"],
                  trained_reference_check=trained_depth["reference_check"],
                  compute_seconds=time.perf_counter() - start)
    return stored


def run(
    profile: str = "smoke",
    seed: int = 0,
    lam: float = 1e-3,
    noise: float = 0.1,
    device: str = "cpu",
    *,
    n_values: list[int] | None = None,
    repeats: int | None = None,
    iterations: int | None = None,
    test_samples: int | None = None,
    depth_steps: list[int] | None = None,
    depth_samples: int | None = None,
    trained_factors: list[int] | None = None,
    use_cache: bool = True,
    progress: bool = False,
) -> LimitsResult:
    """Run (or load from the cache) both limits of figure 7.

    ``profile`` sets the defaults of the keyword-only sizes (:data:`PROFILES`); explicit keywords
    override them. The cache key covers them, the seed, λ, the noise level, :data:`TRAINER` and
    :data:`DEPTH`, but not ``device`` (everything is float64).
    """
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    config = profile_config(PROFILES, profile, n_values=n_values, repeats=repeats, iterations=iterations,
                            test_samples=test_samples, depth_steps=depth_steps,
                            depth_samples=depth_samples, trained_factors=trained_factors)
    config.update(seed=int(seed), lam=float(lam), noise=float(noise), trainer=dict(TRAINER),
                  depth=dict(DEPTH), linear_fit_min_factor=LINEAR_FIT_MIN_FACTOR,
                  blocks=ARCHITECTURES["curve"]["blocks"], horizon=ARCHITECTURES["curve"]["horizon"])
    entry = cached("limits", config, lambda: _compute(config, device, progress), enabled=use_cache)
    stored = entry.value

    model = mean_field_model(0, device)
    model.load_state_dict(stored["state_dict"])
    coarse = model.profile.steps
    return LimitsResult(
        config=config,
        n_values=np.asarray(config["n_values"]),
        train_fidelity=np.asarray(stored["train_fidelity"], dtype=float),
        test_fidelity=np.asarray(stored["test_fidelity"], dtype=float),
        test_loss_std=np.asarray(stored["test_loss_std"], dtype=float),
        regularization=np.asarray(stored["regularization"], dtype=float),
        status=stored["status"],
        depth_steps=np.asarray(config["depth_steps"]),
        depth_error=np.asarray(stored["depth_error"], dtype=float),
        depth_reference_check=float(stored["depth_reference_check"]),
        trained_steps=np.asarray([coarse * f for f in config["trained_factors"]]),
        trained_error_constant=np.asarray(stored["trained_error_constant"], dtype=float),
        trained_error_linear=np.asarray(stored["trained_error_linear"], dtype=float),
        trained_reference_check={k: float(v) for k, v in stored["trained_reference_check"].items()},
        trained_n=int(config["n_values"][-1]),
        compute_seconds=float(stored["compute_seconds"]),
        cache_key=entry.key,
        cache_hit=entry.hit,
        model=model,
    )
