"""Figures 5 and 6: landscape and local convexity vs λ; training methods vs λ.

Same style as :mod:`autoencode_lib.plotting`; functions take result objects of
:mod:`autoencode_lib.experiments.landscape` / :mod:`~autoencode_lib.experiments.methods` (or anything
with the same attributes) and return a ``Figure``.
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from .plotting import COLORS, _new_figure, style

__all__ = ["landscape_figure", "methods_figure", "METHOD_COLORS"]

METHOD_COLORS = {
    "adam": "#9aa5b1",
    "gradient_flow": "#edae49",
    "shooting": "#d1495b",
    "minimizing_movement": "#66a182",
    "continuation": "#3a6ea5",
}
METHOD_LABELS = {
    "adam": "Adam",
    "gradient_flow": "gradient flow",
    "shooting": "shooting (PMP)",
    "minimizing_movement": "minimising movement",
    "continuation": "λ-continuation (proposed)",
}


def _lam_colors(lams):
    cmap = mpl.colormaps["viridis"]
    logs = np.log10(np.asarray(lams, dtype=float))
    span = max(logs.max() - logs.min(), 1e-12)
    return [cmap(0.9 * (lg - logs.min()) / span) for lg in logs]


def landscape_figure(result: Any) -> Figure:
    """Figure 5: slices of J around θ*(λ), smallest Hessian eigenvalue and convexity radius vs λ."""
    recs = result.records
    lams = np.array([r["lam"] for r in recs])
    colors = _lam_colors(lams)
    h = result.config["horizon"] / sum(n for _, n in result.config["blocks"])
    with style():
        fig = _new_figure((13.5, 3.7))
        axes = fig.subplots(1, 4)
        for ax, key, title in ((axes[0], "slice_lowest", "along the lowest Hessian eigenvector"),
                               (axes[1], "slices_random", "along a random direction")):
            for rec, color in zip(recs, colors, strict=True):
                values = rec[key] if key == "slice_lowest" else rec[key][0]
                ax.plot(rec["offsets"], values - rec["total"], color=color, linewidth=1.3,
                        label=f"λ = {rec['lam']:g}")
            ax.set_yscale("symlog", linthresh=1e-4)
            ax.axhline(0, color="black", linewidth=0.6)
            ax.set_xlabel("$s$  (unit direction $u$)")
            ax.set_title(title)
        axes[0].set_ylabel(r"$J(\theta^* + s u) - J(\theta^*)$")
        axes[0].legend(loc="upper center", fontsize=7.5, ncol=2)

        ax = axes[2]
        eig = np.array([r["eigenvalues"][0] for r in recs])
        ax.loglog(lams, np.abs(eig), "o-", color=COLORS["model"],
                  label=r"$|\lambda_{\min}(\nabla^2 J)|$")
        neg = eig <= 0
        if neg.any():
            ax.loglog(lams[neg], np.abs(eig[neg]), "x", color=COLORS["bottleneck"], markersize=9,
                      label="negative (not a minimiser)")
        ax.loglog(lams, 2 * lams * h, ":", color="black", linewidth=1.0,
                  label=r"$2\lambda h$ (Tikhonov part)")
        ax.set_xlabel("λ")
        ax.set_title("smallest Hessian eigenvalue at θ*")
        ax.legend(loc="upper left", fontsize=7.5)

        ax = axes[3]
        radius = np.array([r["radius"] for r in recs])
        censored = np.array([r["radius_censored"] for r in recs])
        ax.semilogx(lams, radius, "-", color=COLORS["model"])
        ax.semilogx(lams[~censored], radius[~censored], "o", color=COLORS["model"], label="first sign change")
        if censored.any():
            ax.semilogx(lams[censored], radius[censored], "^", color=COLORS["accent"], markersize=8,
                        label=f"none up to {result.config['max_radius']:g} (censored)")
        ax.set_xlabel("λ")
        ax.set_ylabel("radius $r$")
        ax.set_ylim(0, 1.1 * result.config["max_radius"])
        ax.set_title("local convexity radius")
        ax.legend(loc="upper left", fontsize=7.5)
    return fig


def methods_figure(result: Any) -> Figure:
    """Figure 6: cost vs iteration and wall time per method and λ, shooting's residual, success rates."""
    lams = list(result.lams)
    methods = list(result.methods)
    with style():
        fig = _new_figure((13.5, 2.9 * 2 + 0.9))
        grid = fig.add_gridspec(2, len(lams) + 1)
        for j, lam in enumerate(lams):
            ax_it = fig.add_subplot(grid[0, j])
            ax_t = fig.add_subplot(grid[1, j])
            best = result.best_cost[lam]
            for method in methods:
                for k, run in enumerate(result.runs_for(method, lam)):
                    gap = np.maximum(np.asarray(run["total"]) - best, 1e-16)
                    kw = dict(color=METHOD_COLORS[method], linewidth=1.0, alpha=0.85 if k == 0 else 0.35,
                              label=METHOD_LABELS[method] if k == 0 else None)
                    ax_it.semilogy(run["iteration"], gap, **kw)
                    ax_t.semilogy(run["wall_time"], gap, **kw)
            ax_it.set_title(f"λ = {lam:g}")
            ax_it.set_xlabel("iteration")
            ax_t.set_xlabel("wall time (s)")
            ax_t.set_xscale("symlog", linthresh=0.1)
            if j == 0:
                ax_it.set_ylabel(r"$J_\lambda - J_{\mathrm{best}}$")
                ax_t.set_ylabel(r"$J - J_{\mathrm{best}}$")
                fig.legend(*ax_it.get_legend_handles_labels(), loc="outside lower center", ncol=5)
        ax_res = fig.add_subplot(grid[0, len(lams)])
        colors = _lam_colors(lams)
        for lam, color in zip(lams, colors, strict=True):
            for k, run in enumerate(result.runs_for("shooting", lam)):
                ax_res.semilogy(run["iteration"], run["stationarity_residual"], color=color,
                                alpha=0.9 if k == 0 else 0.35, linewidth=1.0,
                                label=f"λ = {lam:g}" if k == 0 else None)
        ax_res.set_title("shooting: ‖θ − Φ(θ)‖")
        ax_res.set_xlabel("iteration")
        ax_res.legend(loc="upper right", fontsize=7)

        ax_ok = fig.add_subplot(grid[1, len(lams)])
        width = 0.8 / len(methods)
        xs = np.arange(len(lams))
        for i, method in enumerate(methods):
            rates = [result.success_rate(method, lam) for lam in lams]
            ax_ok.bar(xs + (i - (len(methods) - 1) / 2) * width, rates, width=width,
                      color=METHOD_COLORS[method], label=METHOD_LABELS[method])
        ax_ok.set_xticks(xs, [f"{lam:g}" for lam in lams])
        ax_ok.set_xlabel("λ")
        ax_ok.set_ylim(0, 1.05)
        ax_ok.set_title(f"success rate ({result.config['seeds']} seeds)")
    return fig
