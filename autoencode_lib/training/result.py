"""What a training run returns, and how it fails (SPEC §4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["TrainingResult", "TrainingDiverged", "NonFiniteData", "STATUSES"]

STATUSES = ("converged", "max_iterations", "diverged")


class TrainingDiverged(RuntimeError):
    """Training produced a non-finite or exploding cost (or the data were not finite).

    ``iteration`` is where it happened, ``last_finite_cost`` the last finite total cost (None if
    there was none). The model keeps the last finite controls.
    """

    def __init__(self, message: str, iteration: int, last_finite_cost: float | None) -> None:
        super().__init__(message)
        self.iteration = iteration
        self.last_finite_cost = last_finite_cost


class NonFiniteData(TrainingDiverged, ValueError):
    """The training data contain NaN or infinite values (a :class:`TrainingDiverged` at iteration 0,
    and a ``ValueError``: it is bad input, not a step size to shrink)."""


@dataclass
class TrainingResult:
    """History and outcome of :func:`autoencode_lib.training.train`.

    ``history[k]`` describes the controls after k iterations (``history[0]`` is the initial point):
    ``total``, ``fidelity``, ``regularization`` (J and its terms there), ``grad_norm`` (‖∇J‖
    there), ``step_norm`` (‖θ^k − θ^{k-1}‖), ``wall_time`` (seconds since the start), ``lam``;
    shooting adds ``stationarity_residual``; continuation adds ``stage`` and ``inner`` (the inner
    method), and ``switch`` marks the first iteration after a switch of inner method.
    """

    method: str
    lam: float
    status: str = "max_iterations"
    history: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def iterations(self) -> int:
        """Iterations performed (records minus the initial point)."""
        return max(len(self.history) - 1, 0)

    @property
    def final(self) -> dict[str, Any]:
        return self.history[-1] if self.history else {}

    @property
    def wall_time(self) -> float:
        return float(self.final.get("wall_time", 0.0))

    def history_frame(self):
        """The history as a pandas DataFrame, one row per record."""
        import pandas as pd

        return pd.DataFrame(self.history)

    def __repr__(self) -> str:
        fin = self.final
        return (
            f"TrainingResult(method={self.method!r}, lam={self.lam:g}, status={self.status!r}, "
            f"iterations={self.iterations}, total={fin.get('total', float('nan')):.6g})"
        )
