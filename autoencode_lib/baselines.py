"""Baselines for the benchmarks (``make bench``): the same network, written two other ways.

Both compute exactly what :class:`~autoencode_lib.model.AutoencODE` computes (same controls, same
Euler steps, SPEC §1), so timing them against it is apples to apples:

* :class:`ResidualNetwork` — the *practitioner's floor*: a hand-written ``nn.Sequential`` of
  residual blocks ``x ← P_k x + h σ(Linear_k(P_k x))`` with ``nn.Linear(w_k, w_k)`` layers of the
  same active widths. This is what one would write without the AutoencODE framework.
* :class:`DenseMaskedAutoencODE` — the "dense d×d with a mask" implementation SPEC §1 allows only
  beside the width-aware default: every layer stores a d×d matrix and multiplies the full state,
  with the projector P_k applied as a 0/1 mask. It costs d² per sample and layer instead of w_k².

``from_model`` copies the controls of an AutoencODE into either; ``tests/test_bench.py``
checks outputs and gradients against the AutoencODE.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .activations import get_activation
from .model import INACTIVE_MODES, AutoencODE, resize

__all__ = ["ResidualBlock", "ResidualNetwork", "DenseMaskedAutoencODE"]


class _Resize(nn.Module):
    """Keep the first ``width`` columns or pad with zero columns (P_0 at the input, padding at the end)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return resize(x, self.width)


class ResidualBlock(nn.Module):
    """One residual layer of width w: x ← P x + h σ(Linear(P x)), with P = keep/pad to w columns."""

    def __init__(
        self, width: int, h: float, activation: str = "tanh", dtype: torch.dtype | None = None, device=None
    ) -> None:
        super().__init__()
        self.width = width
        self.h = h
        self.act = get_activation(activation).fn
        self.linear = nn.Linear(width, width, dtype=dtype, device=device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.width
        if x.shape[1] > w:
            x = x[:, :w]
        elif x.shape[1] < w:
            x = F.pad(x, (0, w - x.shape[1]))
        return x + self.h * self.act(self.linear(x))


class ResidualNetwork(nn.Sequential):
    """A plain residual autoencoder with the active widths of a profile (``inactive="reset"`` only).

    ``ResidualNetwork(widths, dim, h)`` = ``nn.Sequential(keep w_0 columns, block_0, ..., block_{L-1},
    pad to d)``. Parameters are ``nn.Linear`` weights and biases in the AutoencODE's order.
    """

    def __init__(
        self,
        widths,
        dim: int,
        h: float,
        activation: str = "tanh",
        dtype: torch.dtype | None = None,
        device=None,
    ) -> None:
        widths = [int(w) for w in widths]
        super().__init__(
            _Resize(widths[0]),
            *(ResidualBlock(w, h, activation, dtype, device) for w in widths),
            _Resize(int(dim)),
        )

    @classmethod
    def from_model(cls, model: AutoencODE) -> ResidualNetwork:
        """The same network as ``model`` (a copy of its controls)."""
        if model.inactive != "reset":
            raise ValueError("ResidualNetwork is the reset AutoencODE; the freeze variant has no such form")
        p = model.profile
        net = cls(p.widths, p.dim, p.step_size, model.activation.name, model.dtype, model.device)
        with torch.no_grad():
            for block, (W, b) in zip(list(net)[1:-1], model.controls(), strict=True):
                block.linear.weight.copy_(W)
                block.linear.bias.copy_(b)
        return net


class DenseMaskedAutoencODE(nn.Module):
    """The AutoencODE stored as dense d×d controls and masked with P_k at every step.

    x_{k+1} = P_k x_k + h P_k σ((P_k W_k P_k) P_k x_k + P_k b_k)   (reset)
    x_{k+1} =     x_k + h P_k σ((P_k W_k P_k) P_k x_k + P_k b_k)   (freeze)

    The masks make the entries of W_k, b_k outside the active block irrelevant (zero gradient), so the
    result equals the width-aware model; the cost per sample and layer is d², not w_k².
    """

    def __init__(
        self,
        widths,
        dim: int,
        h: float,
        activation: str = "tanh",
        inactive: str = "reset",
        dtype: torch.dtype | None = None,
        device=None,
    ) -> None:
        super().__init__()
        if inactive not in INACTIVE_MODES:
            raise ValueError(f"unknown inactive mode {inactive!r}; choose one of {INACTIVE_MODES}")
        dtype = torch.get_default_dtype() if dtype is None else dtype
        widths = [int(w) for w in widths]
        self.dim = int(dim)
        self.h = float(h)
        self.inactive = inactive
        self.activation = get_activation(activation)
        self.weights = nn.ParameterList(
            nn.Parameter(torch.zeros(dim, dim, dtype=dtype, device=device)) for _ in widths
        )
        self.biases = nn.ParameterList(
            nn.Parameter(torch.zeros(dim, dtype=dtype, device=device)) for _ in widths
        )
        masks = torch.arange(dim, device=device)[None, :] < torch.tensor(widths, device=device)[:, None]
        self.register_buffer("masks", masks.to(dtype))  # (L, d): row k is the diagonal of P_k

    @classmethod
    def from_model(cls, model: AutoencODE) -> DenseMaskedAutoencODE:
        """The same network as ``model``: its w_k × w_k blocks embedded in zero d×d matrices."""
        p = model.profile
        net = cls(
            p.widths, p.dim, p.step_size, model.activation.name, model.inactive, model.dtype, model.device
        )
        with torch.no_grad():
            for k, (W, b) in enumerate(model.controls()):
                w = W.shape[0]
                net.weights[k][:w, :w] = W
                net.biases[k][:w] = b
        return net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        act, h = self.activation.fn, self.h
        reset = self.inactive == "reset"
        state = x * self.masks[0] if reset else x
        for m, W, b in zip(self.masks, self.weights, self.biases, strict=True):
            active = state * m
            z = F.linear(active, W * (m[:, None] * m[None, :]), b * m)
            state = (active if reset else state) + h * (m * act(z))
        return state
