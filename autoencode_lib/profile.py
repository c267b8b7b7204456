"""Width profiles of width-varying networks (SPEC §1).

A :class:`WidthProfile` says, for every Euler step (layer) k = 0..L-1 on the uniform grid t_k = k h of
[0, T], how many leading coordinates of the state x ∈ R^d are *active*: A_k = {0, .., w_k - 1}.
The AutoencODE's field moves only active coordinates; a NeurODE is the constant profile w_k = d.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["WidthProfile"]


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or float(value) != int(value):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if int(value) < 1:
        raise ValueError(f"{name} must be a positive integer (>= 1), got {value!r}")
    return int(value)


def _positive_horizon(horizon: object) -> float:
    if isinstance(horizon, bool) or not isinstance(horizon, int | float):
        raise TypeError(f"horizon must be a positive number, got {horizon!r}")
    if not math.isfinite(horizon) or horizon <= 0:
        raise ValueError(f"horizon must be finite and > 0, got {horizon!r}")
    return float(horizon)


@dataclass(frozen=True)
class WidthProfile:
    """Active widths w_0..w_{L-1} on the uniform layer grid of [0, horizon] (SPEC §1).

    Build one with :meth:`from_blocks` (an autoencoder, or any width-varying network) or
    :meth:`constant` (a NeurODE).
    """

    widths: tuple[int, ...]
    horizon: float = 1.0
    dim: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.widths, str | bytes) or not isinstance(self.widths, Iterable):
            raise TypeError(f"widths must be a sequence of positive integers, got {self.widths!r}")
        widths = tuple(_positive_int(w, f"width of layer {k}") for k, w in enumerate(self.widths))
        if not widths:
            raise ValueError("a width profile needs at least one layer (steps >= 1)")
        dim = max(widths) if self.dim is None else _positive_int(self.dim, "dim")
        bad = [(k, w) for k, w in enumerate(widths) if w > dim]
        if bad:
            k, w = bad[0]
            raise ValueError(f"width {w} of layer {k} is outside 1..d = 1..{dim}")
        object.__setattr__(self, "widths", widths)
        object.__setattr__(self, "dim", dim)
        object.__setattr__(self, "horizon", _positive_horizon(self.horizon))

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_blocks(
        cls, blocks: Sequence[tuple[int, int]], horizon: float = 1.0, dim: int | None = None
    ) -> WidthProfile:
        """Profile from blocks ``[(width, steps), ...]``; e.g. ``[(2, 10), (1, 10), (2, 10)]``.

        ``dim`` (the state dimension d) defaults to the largest width.
        """
        if isinstance(blocks, str | bytes) or not isinstance(blocks, Sequence) or not blocks:
            raise ValueError(f"blocks must be a non-empty list of (width, steps) pairs, got {blocks!r}")
        widths: list[int] = []
        for i, block in enumerate(blocks):
            if not isinstance(block, Sequence) or len(block) != 2:
                raise ValueError(f"block {i} must be a (width, steps) pair, got {block!r}")
            width = _positive_int(block[0], f"width of block {i}")
            steps = _positive_int(block[1], f"steps of block {i} (an empty block is not allowed)")
            widths.extend([width] * steps)
        return cls(tuple(widths), horizon=horizon, dim=dim)

    @classmethod
    def constant(cls, dim: int, steps: int, horizon: float = 1.0) -> WidthProfile:
        """The NeurODE: every coordinate active at every layer."""
        dim = _positive_int(dim, "dim")
        steps = _positive_int(steps, "steps")
        return cls((dim,) * steps, horizon=horizon, dim=dim)

    # ----------------------------------------------------------------- derived quantities
    @property
    def steps(self) -> int:
        """L, the number of Euler steps (layers)."""
        return len(self.widths)

    @property
    def step_size(self) -> float:
        """h = T / L."""
        return self.horizon / self.steps

    @property
    def latent_width(self) -> int:
        """m = min_k w_k."""
        return min(self.widths)

    @property
    def times(self) -> tuple[float, ...]:
        """Grid t_0..t_L (L + 1 points)."""
        h = self.step_size
        return tuple(k * h for k in range(self.steps + 1))

    @property
    def blocks(self) -> tuple[tuple[int, int], ...]:
        """Run-length form ``((width, steps), ...)``, inverse of :meth:`from_blocks`."""
        out: list[list[int]] = []
        for w in self.widths:
            if out and out[-1][0] == w:
                out[-1][1] += 1
            else:
                out.append([w, 1])
        return tuple((w, n) for w, n in out)

    @property
    def is_neurode(self) -> bool:
        return all(w == self.dim for w in self.widths)

    @property
    def is_autoencoder(self) -> bool:
        """V-shaped: non-increasing down to m, then non-decreasing, ending at w_{L-1} = d."""
        w = self.widths
        k = w.index(self.latent_width)
        down = all(a >= b for a, b in zip(w[: k + 1], w[1 : k + 1], strict=False))
        up = all(a <= b for a, b in zip(w[k:], w[k + 1 :], strict=False))
        return down and up and w[-1] == self.dim and self.latent_width < self.dim

    @property
    def bottleneck_end(self) -> int:
        """Index k_b of the state x_{k_b} that carries the latent code.

        It is the state after the last layer of the first block of width m: there the state lies in
        R^m x {0}. ``encode`` reads it; ``decode`` runs layers k_b..L-1 from it.
        """
        if self.latent_width >= self.dim:
            raise ValueError(
                f"this profile never narrows below d = {self.dim} (widths {self.blocks}): "
                "it has no bottleneck, so there is no latent code to encode to"
            )
        k = self.widths.index(self.latent_width)
        while k < self.steps and self.widths[k] == self.latent_width:
            k += 1
        return k

    def active_mask(self) -> list[list[bool]]:
        """L x d table: entry [k][j] is True when coordinate j is active at layer k."""
        return [[j < w for j in range(self.dim)] for w in self.widths]

    def refine(self, factor: int) -> WidthProfile:
        """Same blocks on the same horizon with ``factor`` times as many Euler steps."""
        factor = _positive_int(factor, "factor")
        return WidthProfile(
            tuple(w for w in self.widths for _ in range(factor)), self.horizon, self.dim
        )

    def __repr__(self) -> str:
        return f"WidthProfile(blocks={list(self.blocks)}, horizon={self.horizon}, dim={self.dim})"
