"""Figure 6: the training methods of SPEC §4 against λ (SPEC §0.3–0.4).

Same problem as figure 5 (curve 2 → 1 → 2, 70 parameters). For each λ and each seed (= initial
controls), every method gets the same iteration budget from the same initial controls. Recorded: the
cost along the iterations and the wall time, shooting's stationarity residual, the final cost (of the
controls the method hands back) and whether it is a success: within ``success_rtol`` of the best
final cost any method found at that λ.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..cache import cached
from ..cost import cost
from ..data import curve
from ..seeding import seed_everything
from .common import profile_config, torch_threads
from .landscape import BLOCKS, HORIZON, build_model

__all__ = ["PARAMETERS", "PROFILES", "METHOD_OPTIONS", "MethodsResult", "run"]

PARAMETERS = {
    "profile": "paper",
    "seed": 0,
    "device": "cpu",
    "out_dir": "figures",
    "use_cache": True,
}

METHODS = ("adam", "gradient_flow", "shooting", "minimizing_movement", "continuation")

# Each method's own settings (the defaults of autoencode_lib.training unless listed).
METHOD_OPTIONS: dict[str, dict[str, Any]] = {
    "adam": {"lr": 0.02},
    "gradient_flow": {"step_size": 100.0, "armijo": True},
    "shooting": {"relaxation": 0.25},
    "minimizing_movement": {"tau": 1000.0},
    "continuation": {"lam_start": 1.0, "stages": 4},
}

PROFILES: dict[str, dict[str, Any]] = {
    "smoke": {"n": 16, "lams": [1.0, 1e-4], "seeds": 1, "iterations": 20, "success_rtol": 0.01},
    "paper": {"n": 64, "lams": [1.0, 1e-2, 1e-4], "seeds": 5, "iterations": 200, "success_rtol": 0.01},
}


@dataclass
class MethodsResult:
    config: dict[str, Any]
    runs: list[dict[str, Any]]
    cache_key: str | None
    cache_hit: bool

    @property
    def lams(self) -> list[float]:
        return list(self.config["lams"])

    @property
    def methods(self) -> list[str]:
        return list(self.config["methods"])

    def runs_for(self, method: str, lam: float) -> list[dict[str, Any]]:
        return [r for r in self.runs if r["method"] == method and r["lam"] == lam]

    @property
    def best_cost(self) -> dict[float, float]:
        return {lam: min(r["final_cost"] for r in self.runs if r["lam"] == lam) for lam in self.lams}

    def success(self, run: dict[str, Any]) -> bool:
        best = self.best_cost[run["lam"]]
        return run["final_cost"] <= best * (1 + self.config["success_rtol"]) + 1e-12

    def success_rate(self, method: str, lam: float) -> float:
        runs = self.runs_for(method, lam)
        return sum(self.success(r) for r in runs) / len(runs)

    def table(self):
        """One row per (λ, method): median final cost, success rate, statuses, iterations, time."""
        import pandas as pd

        rows = []
        for lam in self.lams:
            for method in self.methods:
                runs = self.runs_for(method, lam)
                statuses = sorted({r["status"] for r in runs})
                rows.append({
                    "lam": lam,
                    "method": method,
                    "median_cost": float(np.median([r["final_cost"] for r in runs])),
                    "best_cost": float(min(r["final_cost"] for r in runs)),
                    "success_rate": self.success_rate(method, lam),
                    "status": "/".join(statuses),
                    "median_iterations": float(np.median([r["iterations"] for r in runs])),
                    "median_seconds": float(np.median([r["seconds"] for r in runs])),
                })
        return pd.DataFrame(rows)


def _compute(config: dict[str, Any], device: str) -> dict[str, Any]:
    from ..training import train

    x = curve(config["n"], seed=config["seed"]).x.to(device)
    runs = []
    with torch_threads(1):
        for lam in config["lams"]:
            for method in config["methods"]:
                for k in range(config["seeds"]):
                    init_seed = config["seed"] + k
                    seed_everything(init_seed)
                    model = build_model(init_seed, device)
                    options = dict(METHOD_OPTIONS[method])
                    if method == "continuation":
                        options["lam_start"] = max(options["lam_start"], lam)
                    start = time.perf_counter()
                    result = train(model, x, None, lam, method=method, iterations=config["iterations"],
                                   seed=init_seed, progress=False, on_divergence="stop", **options)
                    seconds = time.perf_counter() - start
                    with torch.no_grad():
                        final = float(cost(model, x, None, lam).total)
                    frame = result.history_frame()
                    residual = (frame["stationarity_residual"].to_numpy() if "stationarity_residual" in frame
                                else np.full(len(frame), math.nan))
                    runs.append({
                        "lam": lam, "method": method, "init_seed": init_seed,
                        "status": result.status, "iterations": result.iterations,
                        "final_cost": final, "seconds": seconds,
                        "iteration": torch.as_tensor(frame["iteration"].to_numpy().copy()),
                        # J at the target λ (continuation's early records are at larger λ)
                        "total": torch.as_tensor(
                            (frame["fidelity"] + frame["regularization"] * lam / frame["lam"]).to_numpy()),
                        "wall_time": torch.as_tensor(frame["wall_time"].to_numpy().copy()),
                        "stationarity_residual": torch.as_tensor(np.asarray(residual, dtype=float)),
                    })
    return {"runs": runs}


def run(profile: str = "smoke", seed: int = 0, device: str = "cpu", *, use_cache: bool = True,
        **overrides: Any) -> MethodsResult:
    """Train every method at every λ from ``seeds`` initialisations (cached)."""
    config = profile_config(PROFILES, profile, **overrides)
    config.update(seed=int(seed), blocks=BLOCKS, horizon=HORIZON, methods=list(METHODS),
                  options=METHOD_OPTIONS)
    entry = cached("methods", config, lambda: _compute(config, device), enabled=use_cache)
    runs = []
    for r in entry.value["runs"]:
        r = dict(r)
        for k in ("iteration", "total", "wall_time", "stationarity_residual"):
            r[k] = r[k].numpy()
        runs.append(r)
    return MethodsResult(config, runs, entry.key, entry.hit)
