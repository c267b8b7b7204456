"""autoencode_lib — the AutoencODE of Cipriani, Fornasier & Scagliotti, in PyTorch.

Public API (SPEC §1–§3): :class:`WidthProfile`, :class:`AutoencODE`, :func:`cost`,
:func:`adjoint_gradient`; trainers in :mod:`autoencode_lib.training`.
"""

from .cost import Cost, cost, tikhonov
from .model import AutoencODE
from .optimality import (
    adjoint_gradient,
    costates,
    forward_backward,
    hamiltonian,
    stationarity_map,
    stationarity_residual,
)
from .profile import WidthProfile
from .seeding import seed_everything

__version__ = "0.1.0"

__all__ = [
    "AutoencODE",
    "Cost",
    "WidthProfile",
    "adjoint_gradient",
    "cost",
    "costates",
    "forward_backward",
    "hamiltonian",
    "seed_everything",
    "stationarity_map",
    "stationarity_residual",
    "tikhonov",
]
