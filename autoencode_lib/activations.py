"""Activation functions σ and their derivatives σ' (SPEC §1, §3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = ["Activation", "ACTIVATIONS", "get_activation"]

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """σ with its derivative σ', both elementwise."""

    name: str
    fn: Callable[[torch.Tensor], torch.Tensor]
    derivative: Callable[[torch.Tensor], torch.Tensor]


def _tanh_prime(z: torch.Tensor) -> torch.Tensor:
    t = torch.tanh(z)
    return 1.0 - t * t


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation("tanh", torch.tanh, _tanh_prime),
    "softplus": Activation("softplus", F.softplus, torch.sigmoid),
    # σ'(0) = 0 for ReLU, as torch autograd does.
    "relu": Activation("relu", torch.relu, lambda z: (z > 0).to(z.dtype)),
    "leaky_relu": Activation(
        "leaky_relu",
        lambda z: F.leaky_relu(z, LEAKY_SLOPE),
        lambda z: torch.where(z > 0, torch.ones_like(z), torch.full_like(z, LEAKY_SLOPE)),
    ),
}


def get_activation(name: str) -> Activation:
    if not isinstance(name, str):
        raise TypeError(f"activation must be a string, one of {sorted(ACTIVATIONS)}; got {name!r}")
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}"
        ) from None
