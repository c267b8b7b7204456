"""The figure 5 and 6 plot functions, driven by tiny synthetic results."""

import numpy as np

from autoencode_lib.experiments.landscape import LandscapeResult
from autoencode_lib.experiments.methods import MethodsResult
from autoencode_lib.plotting import save_figure
from autoencode_lib.plotting_convexity import landscape_figure, methods_figure


def _landscape():
    s = np.linspace(-1, 1, 7)
    records = []
    for lam, censored in ((1.0, True), (1e-3, False)):
        records.append({
            "lam": lam, "status": "converged", "iterations": 3, "total": 0.1, "fidelity": 0.05,
            "grad_norm": 1e-9, "theta_norm": 1.0, "eigenvalues": np.array([lam, 2 * lam]),
            "offsets": s, "slice_lowest": 0.1 + lam * s**2, "slices_random": np.stack([0.1 + s**2]),
            "slices_convex": True, "radius": 2.0 if censored else 0.5, "radius_censored": censored,
            "radius_per_direction": np.array([np.inf]),
        })
    config = {"blocks": [(2, 2), (1, 2), (2, 2)], "horizon": 1.0, "max_radius": 2.0}
    return LandscapeResult(config, np.array([1.0, 1e-3]), records, None, False)


def _methods():
    runs = []
    for lam in (1.0, 1e-3):
        for method in ("adam", "shooting", "continuation"):
            runs.append({"lam": lam, "method": method, "status": "max_iterations", "iterations": 3,
                         "final_cost": 0.1 + (method == "adam") * lam, "seconds": 0.1,
                         "iteration": np.arange(4), "total": np.array([1.0, 0.5, 0.2, 0.1]),
                         "wall_time": np.linspace(0, 0.1, 4),
                         "stationarity_residual": np.array([1.0, 0.1, 0.01, 0.001])})
    config = {"lams": [1.0, 1e-3], "methods": ["adam", "shooting", "continuation"], "seeds": 1,
              "success_rtol": 0.01}
    return MethodsResult(config, runs, None, False)


def test_landscape_figure(tmp_path):
    fig = landscape_figure(_landscape())
    assert len(fig.axes) == 4
    assert fig.axes[3].get_title() == "local convexity radius"
    paths = save_figure(fig, tmp_path, "f5")
    assert all(p.stat().st_size > 1000 for p in paths)


def test_methods_figure_and_table(tmp_path):
    result = _methods()
    assert result.success_rate("adam", 1.0) == 0.0 and result.success_rate("shooting", 1.0) == 1.0
    table = result.table()
    assert len(table) == 6 and set(table.columns) >= {"median_cost", "success_rate", "status"}
    fig = methods_figure(result)
    assert len(fig.axes) == 2 * 2 + 2
    paths = save_figure(fig, tmp_path, "f6")
    assert all(p.stat().st_size > 1000 for p in paths)
