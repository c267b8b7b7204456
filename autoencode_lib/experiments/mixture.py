"""Figure 4: a Gaussian mixture in R⁵ through a 2-D latent AutoencODE (SPEC §1, §4.4, §6).

Data: :func:`autoencode_lib.data.gaussian_mixture` — 4 components whose means sit on a circle of
radius 1 in a random 2-plane of R⁵, isotropic noise of std 0.05. One seeded draw of
``n_train + n_test`` points is split into a training set (first ``n_train``) and a held-out set, so
both come from the same mixture (a second seed would draw a different plane). Model: the mixture
architecture of Figure 1, widths 5 → 3 → 2 → 3 → 5 (6 Euler steps each, T = 3), tanh, reset,
trained with the proposed method (λ-continuation) to a small λ.

Evaluation on the held-out points: the latent codes (the first two coordinates at the bottleneck),
a k-nearest-neighbour classifier of the component fitted on the training codes, the reconstruction
MSE against PCA with the same latent width (2) fitted on the training set, and the trajectories.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..cache import cached
from ..data import gaussian_mixture
from ..model import AutoencODE
from ..profile import WidthProfile
from ..seeding import seed_everything
from .architecture import ARCHITECTURES
from .common import profile_config, torch_threads

__all__ = ["PARAMETERS", "PROFILES", "MixtureResult", "knn_accuracy", "pca_fit", "run"]

# The notebook's parameters cell must declare exactly these names (tests/test_notebooks.py checks).
PARAMETERS = {
    "profile": "paper",
    "seed": 0,
    "device": "cpu",
    "out_dir": "figures",
    "lam": 1e-3,
    "use_cache": True,
}

_DATA = {"dim": 5, "components": 4, "latent_dim": 2, "spread": 1.0, "noise": 0.05}
# How much work each profile does. "smoke" runs in seconds (tests); "paper" makes the figure.
# The cost is flat (to 4 digits) after ~60 iterations on this problem, hence the paper budget of 80.
PROFILES: dict[str, dict[str, Any]] = {
    "smoke": {"n_train": 128, "n_test": 128, "iterations": 25, "stages": 5, "lam_start": 1.0, "k": 5,
              **_DATA},
    "paper": {"n_train": 512, "n_test": 512, "iterations": 80, "stages": 5, "lam_start": 1.0, "k": 5,
              **_DATA},
}


def pca_fit(x: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean (d,) and the top ``width`` principal directions (d, width) of the rows of ``x``."""
    mean = x.mean(axis=0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    return mean, vt[:width].T


def knn_accuracy(z_train: np.ndarray, y_train: np.ndarray, z_test: np.ndarray, y_test: np.ndarray,
                 k: int = 5) -> float:
    """Held-out accuracy of the k-nearest-neighbour (Euclidean, majority vote, ties → smallest
    label) classifier fitted on (z_train, y_train)."""
    z_train = np.asarray(z_train, dtype=float).reshape(len(z_train), -1)
    z_test = np.asarray(z_test, dtype=float).reshape(len(z_test), -1)
    y_train = np.asarray(y_train, dtype=int)
    if not 1 <= k <= len(z_train):
        raise ValueError(f"k must be in 1..{len(z_train)}, got {k}")
    dist = ((z_test[:, None, :] - z_train[None, :, :]) ** 2).sum(axis=-1)
    nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]
    votes = y_train[nearest]
    classes = int(y_train.max()) + 1
    pred = np.array([np.bincount(v, minlength=classes).argmax() for v in votes])
    return float(np.mean(pred == np.asarray(y_test, dtype=int)))


@dataclass
class MixtureResult:
    config: dict[str, Any]
    x_train: np.ndarray  # (N, d)
    y_train: np.ndarray  # (N,) component index
    x_test: np.ndarray  # (M, d) held-out points
    y_test: np.ndarray  # (M,)
    z_train: np.ndarray  # (N, m) latent codes
    z_test: np.ndarray  # (M, m)
    trajectory: np.ndarray  # (L + 1, M, d) states of the held-out points
    times: np.ndarray  # (L + 1,)
    widths: tuple[int, ...]
    bottleneck_index: int
    reconstruction: np.ndarray  # (M, d) AutoencODE x_L on held-out points
    pca_reconstruction: np.ndarray  # (M, d) PCA (same latent width) on held-out points
    pca_mean: np.ndarray  # (d,)
    pca_basis: np.ndarray  # (d, d): all principal directions of the training data (for plotting)
    history: list[dict[str, Any]]
    status: str
    message: str
    train_seconds: float
    cache_key: str | None
    cache_hit: bool
    model: AutoencODE | None = field(default=None, repr=False)

    @property
    def lam(self) -> float:
        return float(self.config["lam"])

    @property
    def latent_width(self) -> int:
        return int(self.z_train.shape[1])

    @property
    def final(self) -> dict[str, Any]:
        return self.history[-1]

    @staticmethod
    def _mse(a: np.ndarray, b: np.ndarray) -> float:
        return float(((a - b) ** 2).sum(axis=1).mean())

    @property
    def mse(self) -> float:
        """Held-out (1/M) Σ ‖x_L − x‖² of the AutoencODE."""
        return self._mse(self.reconstruction, self.x_test)

    @property
    def pca_mse(self) -> float:
        return self._mse(self.pca_reconstruction, self.x_test)

    @property
    def per_coordinate_mse(self) -> np.ndarray:
        return ((self.reconstruction - self.x_test) ** 2).mean(axis=0)

    @property
    def pca_per_coordinate_mse(self) -> np.ndarray:
        return ((self.pca_reconstruction - self.x_test) ** 2).mean(axis=0)

    @property
    def knn_accuracy(self) -> float:
        return knn_accuracy(self.z_train, self.y_train, self.z_test, self.y_test, self.config["k"])

    @property
    def pca_knn_accuracy(self) -> float:
        basis = self.pca_basis[:, : self.latent_width]
        codes = [(x - self.pca_mean) @ basis for x in (self.x_train, self.x_test)]
        return knn_accuracy(codes[0], self.y_train, codes[1], self.y_test, self.config["k"])

    @property
    def bottleneck_max_abs_inactive(self) -> float:
        """max |x_j(t_{k_b})| over j ≥ m: 0 for a true bottleneck."""
        return float(np.abs(self.trajectory[self.bottleneck_index, :, self.latent_width:]).max())

    def history_frame(self, rows: int | None = None):
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
            "train_samples": int(self.x_train.shape[0]),
            "test_samples": int(self.x_test.shape[0]),
            "iterations": len(self.history) - 1,
            "final_lam": float(self.final["lam"]),
            "final_cost": float(self.final["total"]),
            "train_mse": float(self.final["fidelity"]),
            "test_mse": self.mse,
            "pca_test_mse": self.pca_mse,
            "mse_ratio_to_pca": self.mse / self.pca_mse,
            "knn_accuracy": self.knn_accuracy,
            "pca_knn_accuracy": self.pca_knn_accuracy,
            "bottleneck_max_abs_inactive": self.bottleneck_max_abs_inactive,
            "per_coordinate_mse": self.per_coordinate_mse.tolist(),
            "pca_per_coordinate_mse": self.pca_per_coordinate_mse.tolist(),
        }


def build_model(seed: int = 0, device: str = "cpu") -> AutoencODE:
    spec = ARCHITECTURES["mixture"]
    profile = WidthProfile.from_blocks(spec["blocks"], horizon=spec["horizon"])
    return AutoencODE(profile, activation="tanh", inactive="reset", dtype=torch.float64, device=device,
                      seed=seed)


def _data(config: dict[str, Any]):
    data = gaussian_mixture(config["n_train"] + config["n_test"], seed=config["seed"], dim=config["dim"],
                            components=config["components"], latent_dim=config["latent_dim"],
                            spread=config["spread"], noise=config["noise"])
    n = config["n_train"]
    return data.x[:n], data.labels[:n], data.x[n:], data.labels[n:]


def _train(config: dict[str, Any], device: str, progress: bool) -> dict[str, Any]:
    from ..training import train

    seed_everything(config["seed"])
    x, _, _, _ = _data(config)
    model = build_model(config["seed"], device)
    x = x.to(device)
    start = time.perf_counter()
    with torch_threads(1):  # small matrices: one thread is fastest (see common.torch_threads)
        result = train(model, x, x, config["lam"], method="continuation", iterations=config["iterations"],
                       seed=config["seed"], progress=progress, lam_start=config["lam_start"],
                       stages=config["stages"])
    return {
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "history": [dict(rec) for rec in result.history],
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
    n_train: int | None = None,
    n_test: int | None = None,
    iterations: int | None = None,
    stages: int | None = None,
    lam_start: float | None = None,
    use_cache: bool = True,
    progress: bool = False,
) -> MixtureResult:
    """Train (or load from the cache) the mixture AutoencODE; evaluate it on held-out points.

    ``profile`` sets the defaults (:data:`PROFILES`); explicit keywords override them. The cache key
    covers the whole configuration, the seed and λ, not ``device`` (float64 throughout).
    """
    config = profile_config(PROFILES, profile, n_train=n_train, n_test=n_test, iterations=iterations,
                            stages=stages, lam_start=lam_start)
    config.update(seed=int(seed), lam=float(lam), blocks=ARCHITECTURES["mixture"]["blocks"],
                  horizon=ARCHITECTURES["mixture"]["horizon"], method="continuation")
    entry = cached("mixture", config, lambda: _train(config, device, progress), enabled=use_cache)
    stored = entry.value

    model = build_model(seed, device)
    model.load_state_dict(stored["state_dict"])
    x_train, y_train, x_test, y_test = _data(config)
    with torch_threads(1), torch.no_grad():
        z_train = model.encode(x_train.to(device))
        z_test = model.encode(x_test.to(device))
        traj = model.trajectory(x_test.to(device))
    xtr, xte = x_train.numpy(), x_test.numpy()
    mean, basis = pca_fit(xtr, xtr.shape[1])
    m = model.profile.latent_width
    pca_rec = (xte - mean) @ basis[:, :m] @ basis[:, :m].T + mean
    return MixtureResult(
        config=config,
        x_train=xtr,
        y_train=y_train.numpy(),
        x_test=xte,
        y_test=y_test.numpy(),
        z_train=z_train.cpu().numpy(),
        z_test=z_test.cpu().numpy(),
        trajectory=traj.cpu().numpy(),
        times=np.asarray(model.profile.times),
        widths=model.profile.widths,
        bottleneck_index=model.profile.bottleneck_end,
        reconstruction=traj[-1].cpu().numpy(),
        pca_reconstruction=pca_rec,
        pca_mean=mean,
        pca_basis=basis,
        history=list(stored["history"]),
        status=str(stored["status"]),
        message=str(stored["message"]),
        train_seconds=float(stored["train_seconds"]),
        cache_key=entry.key,
        cache_hit=entry.hit,
        model=model,
    )
