"""The AutoencODE: a width-varying NeurODE (SPEC §1).

Layer k (an Euler step of size h on [t_k, t_{k+1}]) has controls θ_k = (W_k, b_k) with
W_k ∈ R^{w_k × w_k}, b_k ∈ R^{w_k}; only the active block exists (width-aware). The modified field

    G_k(x) = P_k σ(W_k P_k x + b_k)

moves only active coordinates, driven only by active coordinates, and the step is

    x_{k+1} = P_k x_k + h G_k(x_k)          (inactive="reset", the AutoencODE)
    x_{k+1} =     x_k + h G_k(x_k)          (inactive="freeze", the leak variant, for teaching)

With ``reset`` the inactive coordinates are exactly zero, so the computation keeps only the active
columns of the state and costs Σ_k w_k² per sample, not d² L.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .activations import get_activation
from .profile import WidthProfile

__all__ = ["AutoencODE", "INACTIVE_MODES", "SOLVERS"]

INACTIVE_MODES = ("reset", "freeze")
FIXED_GRID_SOLVERS = ("euler", "midpoint", "rk4", "explicit_adams", "implicit_adams")
ADAPTIVE_SOLVERS = ("dopri5", "dopri8", "bosh3", "fehlberg2", "adaptive_heun")
SOLVERS = FIXED_GRID_SOLVERS + ADAPTIVE_SOLVERS


def resize(state: torch.Tensor, width: int) -> torch.Tensor:
    """Keep the first ``width`` columns of a narrow state, or pad it with zero columns to ``width``.

    This is P_k applied to a state whose non-zero coordinates are its leading columns.
    """
    current = state.shape[-1]
    if current == width:
        return state
    if current > width:
        return state[..., :width]
    return torch.nn.functional.pad(state, (0, width - current))


class ControlLayer(nn.Module):
    """θ_k = (W_k, b_k) of one layer: only the active w_k × w_k block."""

    def __init__(self, width: int, dtype: torch.dtype, device: torch.device | None) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(width, width, dtype=dtype, device=device))
        self.bias = nn.Parameter(torch.zeros(width, dtype=dtype, device=device))

    @property
    def width(self) -> int:
        return self.bias.shape[0]


class AutoencODE(nn.Module):
    """Width-varying NeurODE; the AutoencODE when the profile is V-shaped (SPEC §1).

    Parameters
    ----------
    profile : WidthProfile
        Widths w_k, horizon T, dimension d.
    activation : "tanh" (default) | "softplus" | "relu" | "leaky_relu"
    inactive : "reset" (default, the AutoencODE) | "freeze" (leak variant of SPEC §1)
    dtype, device : of the controls; inputs are cast to them.
    seed : initial controls are W_k, b_k ~ N(0, init_scale² / w_k), drawn from this seed.
    """

    def __init__(
        self,
        profile: WidthProfile,
        activation: str = "tanh",
        inactive: str = "reset",
        dtype: torch.dtype | None = None,
        device: str | torch.device | None = None,
        seed: int | None = 0,
        init_scale: float = 1.0,
    ) -> None:
        super().__init__()
        if not isinstance(profile, WidthProfile):
            raise TypeError(f"profile must be a WidthProfile, got {type(profile).__name__}")
        if not isinstance(inactive, str) or inactive not in INACTIVE_MODES:
            raise ValueError(f"unknown inactive mode {inactive!r}; choose one of {INACTIVE_MODES}")
        if dtype is None:
            dtype = torch.get_default_dtype()
        if dtype not in (torch.float32, torch.float64):
            raise TypeError(
                f"dtype must be torch.float32 or torch.float64, got {dtype!r} (half precision is too "
                "coarse for the costate and the training tolerances)"
            )
        bad_seed = isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0
        if seed is not None and bad_seed:
            raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
        if not isinstance(init_scale, int | float) or not math.isfinite(init_scale) or init_scale < 0:
            raise ValueError(f"init_scale must be a finite number >= 0, got {init_scale!r}")
        self.profile = profile
        self.activation = get_activation(activation)
        self.inactive = inactive
        device = torch.device(device) if device is not None else None
        self.layers = nn.ModuleList(ControlLayer(w, dtype, device) for w in profile.widths)
        self.reset_controls(seed, init_scale)

    # ----------------------------------------------------------------- controls
    def reset_controls(self, seed: int | None = 0, init_scale: float = 1.0) -> None:
        """Draw W_k, b_k ~ N(0, init_scale² / w_k) from ``seed`` (CPU generator: same on any device)."""
        gen = torch.Generator()
        if seed is not None:
            gen.manual_seed(int(seed))
        else:
            gen.seed()
        with torch.no_grad():
            for layer in self.layers:
                std = init_scale / math.sqrt(layer.width)
                for p in (layer.weight, layer.bias):
                    p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64) * std)

    def controls(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """[(W_0, b_0), ..., (W_{L-1}, b_{L-1})], the live parameters; z = W_k x[:w_k] + b_k."""
        return [(layer.weight, layer.bias) for layer in self.layers]

    def set_controls(self, controls: Sequence[tuple[torch.Tensor, torch.Tensor]]) -> None:
        """Copy controls (shapes must match the profile) into the model."""
        if len(controls) != len(self.layers):
            raise ValueError(f"expected {len(self.layers)} (W, b) pairs, got {len(controls)}")
        with torch.no_grad():
            for k, (layer, (W, b)) in enumerate(zip(self.layers, controls, strict=True)):
                if tuple(W.shape) != tuple(layer.weight.shape) or tuple(b.shape) != tuple(
                    layer.bias.shape
                ):
                    raise ValueError(
                        f"layer {k}: expected W {tuple(layer.weight.shape)} and b "
                        f"{tuple(layer.bias.shape)}, got {tuple(W.shape)} and {tuple(b.shape)}"
                    )
                layer.weight.copy_(W)
                layer.bias.copy_(b)

    @property
    def dtype(self) -> torch.dtype:
        return self.layers[0].weight.dtype

    @property
    def device(self) -> torch.device:
        return self.layers[0].weight.device

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    # ----------------------------------------------------------------- inputs
    def check_input(self, x: torch.Tensor | np.ndarray, name: str = "x", width: int | None = None):
        """Validate and cast a batch of states (N, width) (default width d)."""
        width = self.profile.dim if width is None else width
        if isinstance(x, np.ndarray):
            x = torch.from_numpy(x)
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor or numpy array, got {type(x).__name__}")
        if x.dim() != 2 or x.shape[1] != width:
            raise ValueError(
                f"{name} must have shape (N, {width}) for this profile (d = {self.profile.dim}), "
                f"got {tuple(x.shape)}"
            )
        if x.shape[0] == 0:
            raise ValueError(f"{name} is empty (N = 0)")
        if x.is_complex() or x.dtype == torch.bool:
            raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
        if not torch.isfinite(x).all():
            raise ValueError(f"{name} contains NaN or infinite values")
        return x.to(dtype=self.dtype, device=self.device)

    def initial_state(self, x: torch.Tensor) -> torch.Tensor:
        """x_0: P_0 x for ``reset`` (narrow, w_0 columns); x itself for ``freeze``."""
        return resize(x, self.profile.widths[0]) if self.inactive == "reset" else x

    # ----------------------------------------------------------------- Euler (ResNet) evaluation
    def step(self, k: int, state: torch.Tensor) -> torch.Tensor:
        """One layer: x_{k+1} = P_k x_k + h G_k(x_k) (reset) or x_k + h G_k(x_k) (freeze).

        ``state`` is narrow for ``reset`` (its leading columns; the rest are zero) and full for
        ``freeze``.
        """
        layer = self.layers[k]
        w = layer.width
        h = self.profile.step_size
        if self.inactive == "reset":
            active = resize(state, w)
            return active + h * self.activation.fn(torch.addmm(layer.bias, active, layer.weight.T))
        active = state[:, :w]
        moved = active + h * self.activation.fn(torch.addmm(layer.bias, active, layer.weight.T))
        return torch.cat([moved, state[:, w:]], dim=1) if w < state.shape[1] else moved

    def run(self, state: torch.Tensor, start: int = 0, stop: int | None = None) -> list[torch.Tensor]:
        """States [x_start, ..., x_stop] from x_start (internal narrow/full representation)."""
        stop = self.profile.steps if stop is None else stop
        states = [state]
        for k in range(start, stop):
            state = self.step(k, state)
            states.append(state)
        return states

    def pad(self, state: torch.Tensor) -> torch.Tensor:
        """Internal state → (N, d) with the inactive coordinates as explicit zeros."""
        return resize(state, self.profile.dim)

    def forward(self, x: torch.Tensor, solver: str | None = None, **solver_options) -> torch.Tensor:
        """Final state x_L, shape (N, d).

        ``solver=None`` (default) runs the Euler ResNet. A torchdiffeq method name (``"rk4"``,
        ``"dopri5"``, …) solves the continuous-time AutoencODE on the layer-aligned grid instead;
        see :meth:`solve`.
        """
        x = self.check_input(x)
        if solver is not None:
            return self.solve(x, solver, **solver_options)
        if solver_options:
            raise TypeError(
                f"options {sorted(solver_options)} only apply to a continuous-time solve: pass solver=..."
            )
        state = self.initial_state(x)
        for k in range(self.profile.steps):
            state = self.step(k, state)
        return self.pad(state)

    def trajectory(self, x: torch.Tensor) -> torch.Tensor:
        """All states x_0..x_L, shape (L + 1, N, d); x_0 is after the t = 0 projection."""
        x = self.check_input(x)
        return torch.stack([self.pad(s) for s in self.run(self.initial_state(x))])

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent code (N, m): the first m coordinates of the state at the bottleneck.

        That state is x_{k_b}, after the first block of width m (``profile.bottleneck_end``).
        """
        kb = self.profile.bottleneck_end
        x = self.check_input(x)
        state = self.initial_state(x)
        for k in range(kb):
            state = self.step(k, state)
        return state[:, : self.profile.latent_width]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Output x_L (N, d) from a latent code z (N, m), running layers k_b..L-1.

        With ``reset`` this is exact: ``model(x) == model.decode(model.encode(x))``. With ``freeze``
        the inactive coordinates are taken as 0 here, whereas the frozen model itself keeps them —
        which is exactly the leak.
        """
        kb = self.profile.bottleneck_end
        m = self.profile.latent_width
        z = self.check_input(z, name="z", width=m)
        state = z if self.inactive == "reset" else resize(z, self.profile.dim)
        for k in range(kb, self.profile.steps):
            state = self.step(k, state)
        return self.pad(state)

    # ----------------------------------------------------------------- continuous time
    def solve(
        self,
        x: torch.Tensor,
        solver: str = "rk4",
        substeps: int = 1,
        rtol: float = 1e-7,
        atol: float = 1e-9,
        return_trajectory: bool = False,
    ) -> torch.Tensor:
        """Continuous-time AutoencODE with torchdiffeq, on a grid aligned with the layers.

        Controls are piecewise constant, so each layer interval [t_k, t_{k+1}] is one ODE solve
        x' = σ(W_k x + b_k) on the active coordinates (the projection P_k is applied at the start
        of each interval; inside a block of constant width it is the identity). Fixed-grid
        solvers take ``substeps`` steps per layer; adaptive ones use ``rtol``/``atol`` and restart
        at every layer, where the field jumps.
        """
        from torchdiffeq import odeint

        if solver not in SOLVERS:
            raise ValueError(f"unknown solver {solver!r}; choose one of {SOLVERS}")
        if isinstance(substeps, bool) or not isinstance(substeps, int) or substeps < 1:
            raise ValueError(f"substeps must be an integer >= 1, got {substeps!r}")
        x = self.check_input(x)
        h = self.profile.step_size
        act = self.activation.fn
        options = {"step_size": h / substeps} if solver in FIXED_GRID_SOLVERS else None
        tolerances = {} if solver in FIXED_GRID_SOLVERS else {"rtol": rtol, "atol": atol}
        state = self.initial_state(x)
        states = [state]
        for k, layer in enumerate(self.layers):
            w = layer.width
            W, b = layer.weight, layer.bias
            active = resize(state, w) if self.inactive == "reset" else state[:, :w]

            def field(t, a, W=W, b=b):
                return act(torch.addmm(b, a, W.T))

            span = torch.tensor([k * h, (k + 1) * h], dtype=self.dtype, device=self.device)
            moved = odeint(field, active, span, method=solver, options=options, **tolerances)[-1]
            if self.inactive == "reset" or w == state.shape[1]:
                state = moved
            else:
                state = torch.cat([moved, state[:, w:]], dim=1)
            states.append(state)
        if return_trajectory:
            return torch.stack([self.pad(s) for s in states])
        return self.pad(state)

    # ----------------------------------------------------------------- refinement (depth limit)
    def refined(self, factor: int) -> AutoencODE:
        """The same piecewise-constant controls on a grid ``factor`` times finer (L → factor·L).

        Both networks discretise the same continuous-time control θ(t), so their Euler outputs
        converge to the same ODE solution as the grid is refined (SPEC §1, continuous time).
        """
        fine = AutoencODE(
            self.profile.refine(factor),
            activation=self.activation.name,
            inactive=self.inactive,
            dtype=self.dtype,
            device=self.device,
            seed=None,
        )
        fine.set_controls([c for c in self.controls() for _ in range(factor)])
        return fine

    def extra_repr(self) -> str:
        return (
            f"profile={self.profile!r}, activation={self.activation.name!r}, "
            f"inactive={self.inactive!r}, parameters={self.num_parameters()}"
        )
