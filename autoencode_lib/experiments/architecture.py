"""Figure 1: the width profiles of the project's models, read off the model objects (SPEC §1, §6).

No training: every model is built with its initial controls, and the map of active coordinates is
taken from ``model.layers`` (the shape of each stored control block) and checked against
``profile.active_mask()``. A random batch is pushed through each autoencoder to check the two
structural facts the figure illustrates: inactive coordinates are exactly zero, and the output
depends on the input only through the latent code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..model import AutoencODE
from ..profile import WidthProfile
from ..seeding import seed_everything
from .mnist import BLOCKS as MNIST_BLOCKS
from .mnist import HORIZON as MNIST_HORIZON

__all__ = ["ARCHITECTURES", "PARAMETERS", "PROFILES", "ModelSummary", "ArchitectureResult", "run"]

# The notebook's parameters cell must declare exactly these names (tests/test_notebooks.py checks).
PARAMETERS = {"profile": "paper", "seed": 0, "device": "cpu", "out_dir": "figures"}

# Width profiles of the project's models (blocks of (width, Euler steps)), shared with the figures
# that train them (the MNIST profile is the one figure 8 trains: experiments/mnist.py).
ARCHITECTURES: dict[str, dict] = {
    "neurode": {
        "label": "NeurODE (ResNet)",
        "blocks": [(2, 30)],
        "horizon": 3.0,
    },
    "curve": {
        "label": "AutoencODE: curve",
        "blocks": [(2, 10), (1, 10), (2, 10)],
        "horizon": 3.0,
    },
    "mixture": {
        "label": "AutoencODE: Gaussian mixture",
        "blocks": [(5, 6), (3, 6), (2, 6), (3, 6), (5, 6)],
        "horizon": 3.0,
    },
    "mnist": {
        "label": "AutoencODE: MNIST",
        "blocks": MNIST_BLOCKS,
        "horizon": MNIST_HORIZON,
    },
}

# Profile = how much work: here only the size of the random probe batch.
PROFILES = {"smoke": {"probe_samples": 8}, "paper": {"probe_samples": 256}}


@dataclass(frozen=True)
class ModelSummary:
    name: str
    label: str
    widths: tuple[int, ...]
    dim: int
    mask: np.ndarray  # (L, d) bool: coordinate j active at layer k
    times: np.ndarray  # (L + 1,)
    num_parameters: int
    is_autoencoder: bool
    is_neurode: bool
    latent_width: int
    bottleneck_index: int | None  # k_b, None for a NeurODE
    bottleneck_time: float | None
    max_inactive_abs: float  # max |x_k,j| over the trajectory, j inactive at the layer that made x_k
    decode_encode_exact: bool | None  # model(x) == decode(encode(x)) bitwise (autoencoders)


@dataclass(frozen=True)
class ArchitectureResult:
    profile: str
    seed: int
    probe_samples: int
    models: dict[str, ModelSummary]


def build_model(name: str, seed: int = 0, device: str = "cpu", dtype=torch.float64) -> AutoencODE:
    """The model ``name`` of :data:`ARCHITECTURES` with initial (untrained) controls."""
    spec = ARCHITECTURES[name]
    profile = WidthProfile.from_blocks(spec["blocks"], horizon=spec["horizon"])
    return AutoencODE(profile, dtype=dtype, device=device, seed=seed)


def summarize(name: str, model: AutoencODE, probe_samples: int, seed: int) -> ModelSummary:
    profile = model.profile
    widths = tuple(layer.width for layer in model.layers)  # from the stored control blocks
    mask = np.array([[j < w for j in range(profile.dim)] for w in widths], dtype=bool)
    if not np.array_equal(mask, np.array(profile.active_mask(), dtype=bool)):
        raise AssertionError(f"{name}: control blocks disagree with the profile's active mask")
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(probe_samples, profile.dim, generator=gen, dtype=torch.float64).to(model.dtype)
    with torch.no_grad():
        traj = model.trajectory(x.to(model.device)).cpu()  # (L + 1, N, d)
        # state x_{k+1} was produced by layer k; x_0 by the projection P_0
        inactive = torch.from_numpy(~np.vstack([mask[:1], mask]))  # (L + 1, d)
        max_inactive = float(traj.abs().mul(inactive[:, None, :]).max())
        exact = None
        kb = None
        if profile.latent_width < profile.dim:
            kb = profile.bottleneck_end
            exact = bool(torch.equal(model(x), model.decode(model.encode(x))))
    times = np.asarray(profile.times)
    return ModelSummary(
        name=name,
        label=ARCHITECTURES[name]["label"],
        widths=widths,
        dim=profile.dim,
        mask=mask,
        times=times,
        num_parameters=model.num_parameters(),
        is_autoencoder=profile.is_autoencoder,
        is_neurode=profile.is_neurode,
        latent_width=profile.latent_width,
        bottleneck_index=kb,
        bottleneck_time=None if kb is None else float(times[kb]),
        max_inactive_abs=max_inactive,
        decode_encode_exact=exact,
    )


def run(profile: str = "smoke", seed: int = 0, device: str = "cpu") -> ArchitectureResult:
    """Build every model of :data:`ARCHITECTURES` and summarise its width profile (cheap: no cache)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {tuple(PROFILES)}")
    seed_everything(seed)
    probe = PROFILES[profile]["probe_samples"]
    models = {name: summarize(name, build_model(name, seed, device), probe, seed) for name in ARCHITECTURES}
    return ArchitectureResult(profile=profile, seed=seed, probe_samples=probe, models=models)
