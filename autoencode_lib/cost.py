"""The mean-field cost with Tikhonov regularisation (SPEC §2).

    J(θ) = (1/N) Σ_i ‖x_L^(i) − y^(i)‖² + λ h Σ_k (‖W_k‖_F² + ‖b_k‖²)

The first term is the fidelity of the empirical measure μ_0^N; as N → ∞ it tends to ∫ ℓ dμ_T.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .model import AutoencODE

__all__ = ["Cost", "cost", "tikhonov", "check_lam", "prepare_data"]


@dataclass(frozen=True)
class Cost:
    """Terms of J. ``total = fidelity + regularization``; tensors (differentiable)."""

    total: torch.Tensor
    fidelity: torch.Tensor
    regularization: torch.Tensor
    per_coordinate_mse: torch.Tensor  # (d,): mean over samples of (x_L − y)_j²

    def item(self) -> dict[str, float]:
        return {
            "total": float(self.total),
            "fidelity": float(self.fidelity),
            "regularization": float(self.regularization),
        }


def check_lam(lam: object) -> float:
    """λ must be a finite number >= 0."""
    if isinstance(lam, bool) or not isinstance(lam, int | float):
        if isinstance(lam, torch.Tensor) and lam.numel() == 1:
            lam = float(lam)
        else:
            raise TypeError(f"lam (the Tikhonov weight λ) must be a number, got {lam!r}")
    if not math.isfinite(lam) or lam < 0:
        raise ValueError(f"lam (the Tikhonov weight λ) must be finite and >= 0, got {lam!r}")
    return float(lam)


def prepare_data(model: AutoencODE, x, y=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Validated (x, y); ``y=None`` means autoencoding, y = x."""
    x = model.check_input(x, "x")
    y = x if y is None else model.check_input(y, "y")
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"x and y must have the same number of samples, got {len(x)} and {len(y)}")
    return x, y


def tikhonov(model: AutoencODE) -> torch.Tensor:
    """h Σ_k (‖W_k‖_F² + ‖b_k‖²), without the factor λ."""
    h = model.profile.step_size
    return h * sum((W * W).sum() + (b * b).sum() for W, b in model.controls())


def cost(model: AutoencODE, x, y=None, lam: float = 0.0) -> Cost:
    """J(θ) on the samples x with targets y (``None``: y = x), SPEC §2. Differentiable."""
    lam = check_lam(lam)
    x, y = prepare_data(model, x, y)
    err = model(x) - y
    per_coordinate = (err * err).mean(dim=0)
    fidelity = per_coordinate.sum()
    regularization = lam * tikhonov(model)
    return Cost(fidelity + regularization, fidelity, regularization, per_coordinate)
