"""Figure 3: the leak through a "frozen" bottleneck — why the field must be modified (SPEC §1, §6).

Data: a 2-D isotropic Gaussian blob (:func:`autoencode_lib.data.blob`), which has no 1-D structure.
Models: the same width profile 2 → 1 → 2 (the curve architecture of Figure 2) and the same initial
controls, once with ``inactive="freeze"`` (inactive coordinates keep their value: the leak variant)
and once with ``inactive="reset"`` (the AutoencODE: inactive coordinates are discarded). Both are
trained with the proposed method (λ-continuation) to the same small λ.

* ``freeze``: with all controls zero the frozen model is the identity, so J = 0 is reachable — the
  second coordinate simply waits through the "bottleneck". Training finds it: near-zero cost.
* ``reset``: the output is x_L = decode(z) with a scalar code z, so it lies on the 1-D curve
  z ↦ decode(z); its Jacobian ∂x_L/∂x_0 has rank ≤ 1 and the cost stays bounded away from zero.

The trained controls and histories are cached; metrics (Jacobian singular values, bottleneck states,
the decoder curve) are recomputed from the controls in milliseconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..cache import cached
from ..data import blob
from ..model import AutoencODE
from ..profile import WidthProfile
from ..seeding import seed_everything
from .architecture import ARCHITECTURES
from .common import profile_config, torch_threads

__all__ = ["INACTIVE", "PARAMETERS", "PROFILES", "LeakResult", "LeakRun", "jacobian_singular_values", "run"]

# The notebook's parameters cell must declare exactly these names (tests/test_notebooks.py checks).
PARAMETERS = {
    "profile": "paper",
    "seed": 0,
    "device": "cpu",
    "out_dir": "figures",
    "lam": 1e-3,
    "use_cache": True,
}

# How much work each profile does. "smoke" runs in seconds (tests); "paper" makes the figure.
# The reset model's cost is flat after ~50 iterations (minimising movement then only polishes), so
# the paper budget stops at 120.
PROFILES: dict[str, dict[str, Any]] = {
    "smoke": {"n": 64, "iterations": 30, "stages": 5, "lam_start": 1.0, "scale": 0.5},
    "paper": {"n": 256, "iterations": 120, "stages": 5, "lam_start": 1.0, "scale": 0.5},
}

INACTIVE = ("freeze", "reset")


@dataclass
class LeakRun:
    """One trained model (``freeze`` or ``reset``), evaluated on the training data."""

    inactive: str
    history: list[dict[str, Any]]
    status: str
    message: str
    train_seconds: float
    trajectory: np.ndarray  # (L + 1, N, 2) states x_0..x_L (after the t = 0 projection)
    reconstruction: np.ndarray  # (N, 2) x_L
    singular_values: np.ndarray  # (N, 2) σ1 ≥ σ2 of ∂x_L/∂x_0 at each sample
    decoder_curve: np.ndarray | None  # (M, 2) decode(z) over the latent range (reset only)
    model: AutoencODE | None = field(default=None, repr=False)

    @property
    def final(self) -> dict[str, Any]:
        return self.history[-1]

    @property
    def rank_ratio(self) -> np.ndarray:
        """σ2/σ1 of the output Jacobian at each sample (0: rank 1; 1: isotropic)."""
        s = self.singular_values
        return s[:, 1] / np.maximum(s[:, 0], np.finfo(float).tiny)


@dataclass
class LeakResult:
    config: dict[str, Any]
    x: np.ndarray  # (N, 2) data
    times: np.ndarray  # (L + 1,)
    bottleneck_index: int  # k_b
    runs: dict[str, LeakRun]
    pca1_mse: float  # MSE of the best linear 1-D code (smallest eigenvalue of the covariance)
    cache_key: str | None
    cache_hit: bool

    @property
    def lam(self) -> float:
        return float(self.config["lam"])

    @property
    def total_variance(self) -> float:
        return float(((self.x - self.x.mean(axis=0)) ** 2).sum(axis=1).mean())

    def mse(self, inactive: str) -> float:
        """(1/N) Σ ‖x_L − x‖², the fidelity term of J."""
        return float(((self.runs[inactive].reconstruction - self.x) ** 2).sum(axis=1).mean())

    def bottleneck_max_abs_x2(self, inactive: str) -> float:
        """max_i |x_2^(i)(t_{k_b})|: 0 for reset (a true bottleneck); > 0 for freeze (the leak)."""
        return float(np.abs(self.runs[inactive].trajectory[self.bottleneck_index, :, 1]).max())

    @property
    def train_seconds(self) -> float:
        return float(sum(r.train_seconds for r in self.runs.values()))

    def summary(self) -> dict[str, Any]:
        """The key numbers (what the notebook prints and the acceptance cell checks)."""
        out: dict[str, Any] = {
            "samples": int(self.x.shape[0]),
            "total_variance": self.total_variance,
            "pca1_mse": self.pca1_mse,
        }
        for name, r in self.runs.items():
            out[name] = {
                "status": r.status,
                "iterations": len(r.history) - 1,
                "final_lam": float(r.final["lam"]),
                "final_cost": float(r.final["total"]),
                "mse": self.mse(name),
                "relative_mse": self.mse(name) / self.total_variance,
                "bottleneck_max_abs_x2": self.bottleneck_max_abs_x2(name),
                "rank_ratio_max": float(r.rank_ratio.max()),
                "rank_ratio_min": float(r.rank_ratio.min()),
            }
        return out


def build_model(inactive: str, seed: int = 0, device: str = "cpu") -> AutoencODE:
    """The curve architecture 2 → 1 → 2; same initial controls (from ``seed``) for both modes."""
    spec = ARCHITECTURES["curve"]
    profile = WidthProfile.from_blocks(spec["blocks"], horizon=spec["horizon"])
    return AutoencODE(profile, activation="tanh", inactive=inactive, dtype=torch.float64, device=device,
                      seed=seed)


def jacobian_singular_values(model: AutoencODE, x: torch.Tensor) -> torch.Tensor:
    """Singular values (N, d) of the per-sample Jacobian ∂x_L/∂x_0 of the output map.

    Samples do not interact, so row j of every sample's Jacobian is the gradient of Σ_i x_L,j^(i):
    d backward passes give all N Jacobians.
    """
    x = x.detach().clone().requires_grad_(True)
    out = model(x)
    rows = [torch.autograd.grad(out[:, j].sum(), x, retain_graph=True)[0] for j in range(out.shape[1])]
    jac = torch.stack(rows, dim=1)  # (N, d_out, d_in)
    return torch.linalg.svdvals(jac.detach())


def _train(config: dict[str, Any], device: str, progress: bool) -> dict[str, Any]:
    from ..training import train

    data = blob(config["n"], seed=config["seed"], scale=config["scale"])
    x = data.x.to(device)
    out = {}
    for inactive in INACTIVE:
        seed_everything(config["seed"])
        model = build_model(inactive, config["seed"], device)
        start = time.perf_counter()
        with torch_threads(1):  # tiny matrices: one thread is fastest (see common.torch_threads)
            result = train(model, x, x, config["lam"], method="continuation",
                           iterations=config["iterations"], seed=config["seed"], progress=progress,
                           lam_start=config["lam_start"], stages=config["stages"])
        out[inactive] = {
            "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "history": [dict(rec) for rec in result.history],
            "status": result.status,
            "message": result.message,
            "train_seconds": time.perf_counter() - start,
        }
    return out


def run(
    profile: str = "smoke",
    seed: int = 0,
    lam: float = 1e-3,
    device: str = "cpu",
    *,
    n: int | None = None,
    iterations: int | None = None,
    stages: int | None = None,
    lam_start: float | None = None,
    scale: float | None = None,
    use_cache: bool = True,
    progress: bool = False,
) -> LeakResult:
    """Train (or load from the cache) the freeze and reset models on the blob and evaluate them.

    ``profile`` sets the defaults of ``n``, ``iterations``, ``stages``, ``lam_start``, ``scale``
    (:data:`PROFILES`); explicit keywords override them. The cache key covers all of them, the seed
    and λ, not ``device`` (float64 throughout).
    """
    config = profile_config(PROFILES, profile, n=n, iterations=iterations, stages=stages,
                            lam_start=lam_start, scale=scale)
    config.update(seed=int(seed), lam=float(lam), blocks=ARCHITECTURES["curve"]["blocks"],
                  horizon=ARCHITECTURES["curve"]["horizon"], method="continuation", data="blob")
    entry = cached("leak", config, lambda: _train(config, device, progress), enabled=use_cache)

    data = blob(config["n"], seed=config["seed"], scale=config["scale"])
    x = data.x.to(device)
    runs = {}
    for inactive in INACTIVE:
        stored = entry.value[inactive]
        model = build_model(inactive, seed, device)
        model.load_state_dict(stored["state_dict"])
        with torch_threads(1):
            with torch.no_grad():
                traj = model.trajectory(x)
            sv = jacobian_singular_values(model, x)
            curve = None
            if inactive == "reset":
                z = model.encode(x).detach()[:, 0]
                span = float(z.max() - z.min())
                grid = torch.linspace(float(z.min()) - 0.05 * span, float(z.max()) + 0.05 * span, 200,
                                      dtype=z.dtype, device=z.device)
                with torch.no_grad():
                    curve = model.decode(grid[:, None]).cpu().numpy()
        runs[inactive] = LeakRun(
            inactive=inactive,
            history=list(stored["history"]),
            status=str(stored["status"]),
            message=str(stored["message"]),
            train_seconds=float(stored["train_seconds"]),
            trajectory=traj.cpu().numpy(),
            reconstruction=traj[-1].cpu().numpy(),
            singular_values=sv.cpu().numpy(),
            decoder_curve=curve,
            model=model,
        )
    xn = data.x.numpy()
    pca1 = float(np.linalg.eigvalsh(np.cov(xn.T, bias=True))[0])
    return LeakResult(
        config=config,
        x=xn,
        times=np.asarray(runs["reset"].model.profile.times),
        bottleneck_index=runs["reset"].model.profile.bottleneck_end,
        runs=runs,
        pca1_mse=pca1,
        cache_key=entry.key,
        cache_hit=entry.hit,
    )
