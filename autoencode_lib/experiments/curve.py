"""Figure 2: the curve 2 → 1 → 2 AutoencODE trained with λ-continuation (SPEC §1, §4.4, §6).

Data: points on the S-curve x(s) = (s, ½ sin πs) (:func:`autoencode_lib.data.curve`). Model: widths
2 → 1 → 2, 10 Euler steps each, horizon T = 3, tanh. Training: the proposed method (continuation from
λ = ``lam_start`` down to a small target λ). The trained controls and the history are cached
(:mod:`autoencode_lib.cache`); everything else (trajectories, latent codes, metrics) is recomputed
from the controls in milliseconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..cache import cached
from ..data import curve
from ..model import AutoencODE
from ..profile import WidthProfile
from ..seeding import seed_everything
from .architecture import ARCHITECTURES
from .common import profile_config, torch_threads

__all__ = ["PARAMETERS", "PROFILES", "CurveResult", "order_agreement", "run"]

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
PROFILES: dict[str, dict[str, Any]] = {
    "smoke": {"n": 64, "iterations": 30, "stages": 5, "lam_start": 1.0},
    "paper": {"n": 256, "iterations": 400, "stages": 5, "lam_start": 1.0},
}


@dataclass
class CurveResult:
    """Trained curve AutoencODE, evaluated on its training data."""

    config: dict[str, Any]
    x: np.ndarray  # (N, 2) data
    s: np.ndarray  # (N,) curve parameter
    trajectory: np.ndarray  # (L + 1, N, 2) states x_0..x_L
    times: np.ndarray  # (L + 1,)
    bottleneck_index: int  # k_b: x_{k_b} carries the latent code
    latent: np.ndarray  # (N,) z = first coordinate of x_{k_b}
    reconstruction: np.ndarray  # (N, 2) x_L
    history: list[dict[str, Any]]
    status: str
    message: str
    train_seconds: float  # of the run that filled the cache
    cache_key: str | None
    cache_hit: bool
    model: AutoencODE | None = field(default=None, repr=False)

    @property
    def lam(self) -> float:
        return float(self.config["lam"])

    @property
    def mse(self) -> float:
        """(1/N) Σ_i ‖x_L^(i) − x^(i)‖², the fidelity term of J."""
        return float(((self.reconstruction - self.x) ** 2).sum(axis=1).mean())

    @property
    def relative_mse(self) -> float:
        """MSE divided by the data's total variance (the MSE of predicting the mean)."""
        return self.mse / float(((self.x - self.x.mean(axis=0)) ** 2).sum(axis=1).mean())

    @property
    def bottleneck_max_abs_x2(self) -> float:
        """max_i |x_2^(i)(t_{k_b})|: zero exactly when the bottleneck lies on the x₁-axis."""
        return float(np.abs(self.trajectory[self.bottleneck_index, :, 1:]).max())

    @property
    def order_agreement(self) -> float:
        return order_agreement(self.latent, self.s)

    @property
    def final(self) -> dict[str, Any]:
        return self.history[-1]

    def history_frame(self, rows: int | None = None):
        """The training history as a pandas DataFrame; ``rows``: keep about that many, evenly spaced
        (always including the last)."""
        import pandas as pd

        frame = pd.DataFrame(self.history)
        columns = [c for c in ("iteration", "lam", "stage", "inner", "total", "fidelity", "grad_norm")
                   if c in frame]
        frame = frame[columns]
        if rows is not None and len(frame) > rows:
            keep = sorted(set(np.linspace(0, len(frame) - 1, rows).round().astype(int)))
            frame = frame.iloc[keep]
        return frame

    def summary(self) -> dict[str, Any]:
        """The key numbers (what the notebook prints and the acceptance cell checks)."""
        return {
            "samples": int(self.x.shape[0]),
            "iterations": len(self.history) - 1,
            "final_lam": float(self.final["lam"]),
            "final_cost": float(self.final["total"]),
            "mse": self.mse,
            "relative_mse": self.relative_mse,
            "order_agreement": self.order_agreement,
            "bottleneck_max_abs_x2": self.bottleneck_max_abs_x2,
        }


def order_agreement(z: np.ndarray, s: np.ndarray) -> float:
    """Fraction of pairs (i, j), s_i ≠ s_j, ordered alike by z and s, up to a global flip of z.

    1.0: the latent code is a monotone function of the curve parameter. Ties in z count as
    disagreements.
    """
    z = np.asarray(z, dtype=float).ravel()
    s = np.asarray(s, dtype=float).ravel()
    if z.shape != s.shape or z.size < 2:
        raise ValueError(f"need two equal-length vectors with >= 2 entries, got {z.shape} and {s.shape}")
    iu = np.triu_indices(z.size, k=1)
    ds = np.sign(s[:, None] - s[None, :])[iu]
    dz = np.sign(z[:, None] - z[None, :])[iu]
    valid = ds != 0
    agree = float(np.mean(dz[valid] == ds[valid]))
    flipped = float(np.mean(dz[valid] == -ds[valid]))
    return max(agree, flipped)


def build_model(seed: int = 0, device: str = "cpu") -> AutoencODE:
    spec = ARCHITECTURES["curve"]
    profile = WidthProfile.from_blocks(spec["blocks"], horizon=spec["horizon"])
    return AutoencODE(profile, activation="tanh", inactive="reset", dtype=torch.float64, device=device,
                      seed=seed)


def _train(config: dict[str, Any], device: str, progress: bool) -> dict[str, Any]:
    from ..training import train

    seed_everything(config["seed"])
    data = curve(config["n"], seed=config["seed"])
    model = build_model(config["seed"], device)
    x = data.x.to(device)
    start = time.perf_counter()
    with torch_threads(1):  # tiny matrices: one thread is fastest (see common.torch_threads)
        result = train(
            model,
            x,
            x,
            config["lam"],
            method="continuation",
            iterations=config["iterations"],
            seed=config["seed"],
            progress=progress,
            lam_start=config["lam_start"],
            stages=config["stages"],
        )
    return {
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "history": [{k: v for k, v in rec.items()} for rec in result.history],
        "status": result.status,
        "message": result.message,
        "train_seconds": time.perf_counter() - start,
    }


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
    use_cache: bool = True,
    progress: bool = False,
) -> CurveResult:
    """Train (or load from the cache) the curve AutoencODE and evaluate it.

    ``profile`` sets the defaults of ``n``, ``iterations``, ``stages``, ``lam_start``
    (:data:`PROFILES`); explicit keywords override them. The cache key covers all of them, the seed
    and λ, but not ``device`` (training is in float64; the cache entry is device-independent).
    """
    config = profile_config(PROFILES, profile, n=n, iterations=iterations, stages=stages,
                            lam_start=lam_start)
    config.update(seed=int(seed), lam=float(lam), blocks=ARCHITECTURES["curve"]["blocks"],
                  horizon=ARCHITECTURES["curve"]["horizon"], method="continuation")
    entry = cached("curve", config, lambda: _train(config, device, progress), enabled=use_cache)
    stored = entry.value

    model = build_model(seed, device)
    model.load_state_dict(stored["state_dict"])
    data = curve(config["n"], seed=config["seed"])
    x = data.x.to(device)
    with torch.no_grad():
        traj = model.trajectory(x)
        latent = model.encode(x)[:, 0]
    kb = model.profile.bottleneck_end
    return CurveResult(
        config=config,
        x=data.x.numpy(),
        s=data.labels.numpy(),
        trajectory=traj.cpu().numpy(),
        times=np.asarray(model.profile.times),
        bottleneck_index=kb,
        latent=latent.cpu().numpy(),
        reconstruction=traj[-1].cpu().numpy(),
        history=list(stored["history"]),
        status=str(stored["status"]),
        message=str(stored["message"]),
        train_seconds=float(stored["train_seconds"]),
        cache_key=entry.key,
        cache_hit=entry.hit,
        model=model,
    )
