"""Trainers of SPEC §4 behind one interface: :func:`train`.

``train(model, x, y, lam, method=..., iterations=..., seed=0, progress=True, **options)`` with
``method`` one of "gradient_flow", "adam", "shooting", "minimizing_movement", "continuation".
"""

from .methods import STEPPERS, Adam, Continuation, GradientFlow, MinimizingMovement, Shooting
from .problem import Point, Problem
from .result import NonFiniteData, TrainingDiverged, TrainingResult
from .train import METHODS, train

__all__ = [
    "METHODS",
    "STEPPERS",
    "Adam",
    "Continuation",
    "GradientFlow",
    "MinimizingMovement",
    "NonFiniteData",
    "Point",
    "Problem",
    "Shooting",
    "TrainingDiverged",
    "TrainingResult",
    "train",
]
