"""Figure 5: the landscape of J and its local convexity as λ decreases (SPEC §0.3, §5).

Problem: the curve 2 → 1 → 2 AutoencODE (blocks of 5 Euler steps, T = 2, 70 parameters, so the
dense Hessian is cheap). For λ from large to small, the minimiser θ*(λ) is found by λ-continuation
(each λ warm-started at the previous minimiser, shooting while it contracts, else minimising
movement). At each θ*(λ): the Hessian spectrum, 1-D slices J(θ* + s u) along the Hessian's lowest
eigenvector and along random unit directions, and the convexity radius (SPEC §5) over random and
lowest-eigenvector directions. Everything expensive is cached.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..analysis import convexity_radius, directional_curvature, flat_parameters, hessian, landscape_slice
from ..cache import cached
from ..data import curve
from ..model import AutoencODE
from ..profile import WidthProfile
from ..seeding import seed_everything
from .common import profile_config, torch_threads

__all__ = ["PARAMETERS", "PROFILES", "BLOCKS", "HORIZON", "LandscapeResult", "build_model", "run"]

PARAMETERS = {
    "profile": "paper",
    "seed": 0,
    "device": "cpu",
    "out_dir": "figures",
    "use_cache": True,
}

BLOCKS = [(2, 5), (1, 5), (2, 5)]
HORIZON = 2.0

PROFILES: dict[str, dict[str, Any]] = {
    "smoke": {"n": 32, "lams": [1.0, 1e-2, 1e-4], "iterations": 100, "slice_radius": 4.0,
              "slice_points": 31, "random_slices": 2, "directions": 4, "radius_points": 21,
              "max_radius": 10.0},
    "paper": {"n": 64, "lams": [1.0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5], "iterations": 400,
              "slice_radius": 4.0, "slice_points": 81, "random_slices": 4, "directions": 32,
              "radius_points": 81, "max_radius": 10.0},
}


def build_model(seed: int = 0, device: str = "cpu") -> AutoencODE:
    profile = WidthProfile.from_blocks(BLOCKS, horizon=HORIZON)
    return AutoencODE(profile, dtype=torch.float64, device=device, seed=seed)


@dataclass
class LandscapeResult:
    """Per λ (descending): minimiser diagnostics, Hessian spectrum, slices and convexity radius."""

    config: dict[str, Any]
    lams: np.ndarray
    records: list[dict[str, Any]]
    cache_key: str | None
    cache_hit: bool

    def table(self):
        """One row per λ: the numbers the notebook prints and asserts."""
        import pandas as pd

        rows = []
        for rec in self.records:
            rows.append({
                "lam": rec["lam"],
                "status": rec["status"],
                "iterations": rec["iterations"],
                "cost": rec["total"],
                "grad_norm": rec["grad_norm"],
                "eig_min": float(rec["eigenvalues"][0]),
                "theta_norm": rec["theta_norm"],
                "slices_convex": bool(rec["slices_convex"]),
                "radius": rec["radius"],
                "radius_censored": bool(rec["radius_censored"]),
            })
        return pd.DataFrame(rows)


def _second_differences_nonnegative(values: np.ndarray, scale: float) -> bool:
    """Discrete convexity of a sampled slice, up to round-off relative to the slice's size."""
    d2 = np.diff(np.asarray(values), 2)
    return bool((d2 >= -1e-12 * max(scale, 1.0)).all())


def _compute(config: dict[str, Any], device: str) -> dict[str, Any]:
    from ..training import train

    seed_everything(config["seed"])
    x = curve(config["n"], seed=config["seed"]).x.to(device)
    model = build_model(config["seed"], device)
    gen = torch.Generator().manual_seed(config["seed"] + 1)
    random_dirs = [torch.randn(model.num_parameters(), generator=gen, dtype=torch.float64)
                   for _ in range(config["random_slices"])]
    records = []
    start = time.perf_counter()
    with torch_threads(1):
        for lam in config["lams"]:
            # one continuation stage per λ, warm-started at the previous minimiser
            result = train(model, x, None, lam, method="continuation", stages=1,
                           iterations=config["iterations"], seed=config["seed"], progress=False, tol=1e-9)
            H = hessian(model, x, None, lam)
            eigenvalues, eigenvectors = torch.linalg.eigh(H)
            lowest = eigenvectors[:, 0]
            radius_s = config["slice_radius"]
            s, along_lowest = landscape_slice(model, x, None, lam, lowest, radius=radius_s,
                                              points=config["slice_points"])
            random_slices = [landscape_slice(model, x, None, lam, u, radius=radius_s,
                                             points=config["slice_points"])[1] for u in random_dirs]
            radius, details = convexity_radius(
                model, x, None, lam, directions=config["directions"], seed=config["seed"],
                max_radius=config["max_radius"], points=config["radius_points"], return_details=True)
            # the lowest Hessian eigenvectors are where curvature turns first: include them
            offsets = details["offsets"]
            eig_radii = []
            for i in range(3):
                curv = directional_curvature(model, x, None, lam, eigenvectors[:, i], offsets)
                bad = np.abs(offsets[curv <= 0])
                eig_radii.append(float(bad.min()) if bad.size else math.inf)
            all_radii = list(details["per_direction"]) + eig_radii
            censored = all(math.isinf(r) for r in all_radii)
            radius = config["max_radius"] if censored else float(min(all_radii))
            J0 = result.final["total"]
            slices = [along_lowest] + random_slices
            records.append({
                "lam": lam,
                "status": result.status,
                "iterations": result.iterations,
                "total": J0,
                "fidelity": result.final["fidelity"],
                "grad_norm": result.final["grad_norm"],
                "theta_norm": float(flat_parameters(model).norm()),
                "eigenvalues": eigenvalues.cpu(),
                "offsets": torch.as_tensor(s),
                "slice_lowest": torch.as_tensor(along_lowest),
                "slices_random": torch.as_tensor(np.stack(random_slices)),
                "slices_convex": all(_second_differences_nonnegative(v, J0) for v in slices),
                "radius": radius,
                "radius_censored": censored,
                "radius_per_direction": torch.as_tensor(
                    [min(r, 1e300) for r in all_radii], dtype=torch.float64),
            })
    return {"records": records, "seconds": time.perf_counter() - start}


def run(profile: str = "smoke", seed: int = 0, device: str = "cpu", *, use_cache: bool = True,
        **overrides: Any) -> LandscapeResult:
    """Minimise over the λ grid of ``profile`` and analyse each minimiser (cached)."""
    config = profile_config(PROFILES, profile, **overrides)
    config.update(seed=int(seed), blocks=BLOCKS, horizon=HORIZON)
    entry = cached("landscape", config, lambda: _compute(config, device), enabled=use_cache)
    records = [dict(r) for r in entry.value["records"]]
    for r in records:
        r["radius_per_direction"] = r["radius_per_direction"].numpy()
        for k in ("eigenvalues", "offsets", "slice_lowest", "slices_random"):
            r[k] = r[k].numpy()
    return LandscapeResult(config, np.array(config["lams"]), records, entry.key, entry.hit)
