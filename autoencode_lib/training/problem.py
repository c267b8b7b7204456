"""The optimisation problem min_θ J(θ) seen as a flat vector θ, shared by every trainer."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from ..cost import check_lam, cost, prepare_data, tikhonov
from ..model import AutoencODE
from ..optimality import PMPSweep, adjoint_gradient, forward_backward, stationarity_map

__all__ = ["Point", "Problem"]


@dataclass
class Point:
    """Controls θ (flat) with J, its terms and ∇J there (and the PMP sweep when computed)."""

    theta: torch.Tensor
    total: float
    fidelity: float
    regularization: float
    grad: torch.Tensor
    sweep: PMPSweep | None = None
    extra: dict = field(default_factory=dict)

    @property
    def grad_norm(self) -> float:
        return float(torch.linalg.vector_norm(self.grad))

    def finite(self) -> bool:
        return math.isfinite(self.total) and bool(torch.isfinite(self.grad).all()) and bool(
            torch.isfinite(self.theta).all()
        )


class Problem:
    """J(θ) = (1/N) Σ ‖x_L − y‖² + λ h Σ ‖θ_k‖² of a model on fixed data (SPEC §2), with θ flat."""

    def __init__(self, model: AutoencODE, x, y, lam: float) -> None:
        self.model = model
        self.x, self.y = prepare_data(model, x, y)
        self.lam = check_lam(lam)
        self.params = list(model.parameters())

    def theta(self) -> torch.Tensor:
        return parameters_to_vector(self.params).detach().clone()

    @torch.no_grad()
    def set_theta(self, theta: torch.Tensor) -> None:
        vector_to_parameters(theta, self.params)

    @torch.no_grad()
    def value(self, theta: torch.Tensor | None = None) -> float:
        """J at θ (default: the model's controls), without a gradient."""
        if theta is not None:
            self.set_theta(theta)
        err = self.model(self.x) - self.y
        return float((err * err).sum() / err.shape[0]) + self.lam * float(tikhonov(self.model))

    def evaluate(self, gradient: str = "adjoint", stationarity: bool = False) -> Point:
        """J and ∇J at the model's controls; ``gradient`` = "adjoint" (SPEC §3) or "autograd"."""
        theta = self.theta()
        if gradient == "adjoint":
            sweep = forward_backward(self.model, self.x, self.y)
            grad = torch.cat([g.reshape(-1) for g in adjoint_gradient(
                self.model, None, None, self.lam, sweep=sweep)])
            fidelity = float(sweep.fidelity)
            with torch.no_grad():
                regularization = self.lam * float(tikhonov(self.model))
        elif gradient == "autograd":
            sweep = None
            terms = cost(self.model, self.x, self.y, self.lam)
            grads = torch.autograd.grad(terms.total, self.params)
            grad = torch.cat([g.reshape(-1) for g in grads])
            fidelity, regularization = float(terms.fidelity.detach()), float(terms.regularization.detach())
        else:
            raise ValueError(f"gradient must be 'adjoint' or 'autograd', got {gradient!r}")
        point = Point(theta, fidelity + regularization, fidelity, regularization, grad, sweep)
        if stationarity:
            phi = self.stationarity_target(point)
            point.extra["phi"] = phi
            point.extra["stationarity_residual"] = float(torch.linalg.vector_norm(theta - phi))
        return point

    def stationarity_target(self, point: Point) -> torch.Tensor:
        """Φ(θ) = (1/2λ) Σ ∂_θGᵀ p as a flat vector (SPEC §3); needs an adjoint sweep."""
        assert point.sweep is not None
        target = stationarity_map(self.model, None, None, self.lam, sweep=point.sweep)
        return torch.cat([t.reshape(-1) for pair in target for t in pair])
