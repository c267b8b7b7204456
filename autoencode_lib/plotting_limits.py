"""Figure 7: the mean-field (N → ∞) and depth (L → ∞) limits, in the companion's style.

:func:`limits_figure` takes a :class:`autoencode_lib.experiments.limits.LimitsResult` (or anything
with the same attributes) and returns a ``Figure``; save it with :func:`autoencode_lib.plotting.save_figure`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .plotting import COLORS, style

__all__ = ["limits_figure"]


def _fit_line(ax, x, slope: float, intercept: float, color: str, label: str) -> None:
    x = np.asarray(x, dtype=float)
    ax.plot(x, np.exp(intercept) * x**slope, color=color, linestyle="-", linewidth=0.9, alpha=0.6,
            label=label)


def _reference(ax, x, y_anchor: float, power: float, label: str) -> None:
    """Dashed c·x^power through (x[0], y_anchor)."""
    x = np.asarray(x, dtype=float)
    ax.plot(x, y_anchor * (x / x[0]) ** power, color="black", linestyle="--", linewidth=0.9, label=label)


def _loglog(ax, xlabel: str, ylabel: str, title: str) -> None:
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="major")
    ax.legend(loc="lower left")


def limits_figure(result: Any) -> Figure:
    """Figure 7: generalisation gap and costs vs N; Euler-vs-ODE error vs L (fixed and trained θ)."""
    fits = result.fits()
    n = np.asarray(result.n_values, dtype=float)
    gap = np.asarray(result.gap)
    repeats = gap.shape[1]
    with style():
        fig = Figure(figsize=(15.0, 3.9), layout="constrained")
        ax_gap, ax_cost, ax_depth, ax_trained = fig.subplots(1, 4)

        # (a) generalisation gap
        jitter = np.exp(np.linspace(-0.08, 0.08, repeats))
        for r in range(repeats):
            pos = gap[:, r] > 0
            xs = n * jitter[r]
            ax_gap.scatter(xs[pos], gap[pos, r], s=12, color=COLORS["data"], zorder=2,
                           label="one training set (gap > 0)" if r == 0 else None)
            ax_gap.scatter(xs[~pos], -gap[~pos, r], s=12, facecolors="none", edgecolors=COLORS["data"],
                           zorder=2, label="one training set (|gap|, gap < 0)" if r == 0 else None)
        ax_gap.plot(n, result.gap_rms, "o-", color=COLORS["model"], markersize=4, zorder=3,
                    label=f"RMS over {repeats} sets")
        slope, intercept = fits["gap_rms"]
        _fit_line(ax_gap, n, slope, intercept, COLORS["model"], f"fit: slope {slope:.2f}")
        ax_gap.plot(n, result.clt_size, linestyle="--", color="black", linewidth=0.9,
                    label="$\\mathrm{sd}(\\ell)/\\sqrt{N}$  (slope −1/2)")
        _loglog(ax_gap, "training samples $N$", "$J_\\infty(\\hat\\theta_N) - J_N(\\hat\\theta_N)$",
                "(a) generalisation gap vs N")

        # (b) costs
        test = np.asarray(result.test_cost)
        for r in range(repeats):
            ax_cost.scatter(n * jitter[r], test[:, r], s=10, color=COLORS["model"], alpha=0.35, zorder=2)
        ax_cost.plot(n, result.test_cost_mean, "o-", color=COLORS["model"], markersize=4, zorder=3,
                     label="test cost $J_\\infty(\\hat\\theta_N)$ (fresh sample)")
        ax_cost.plot(n, result.train_cost_mean, "s-", color=COLORS["accent"], markersize=4, zorder=3,
                     label="training cost $J_N(\\hat\\theta_N)$")
        slope, intercept = fits["test_cost"]
        _fit_line(ax_cost, n, slope, intercept, COLORS["model"], f"test cost fit: slope {slope:.2f}")
        _loglog(ax_cost, "training samples $N$", "cost $J$ (mean over sets)", "(b) costs vs N")
        ax_cost.legend(loc="upper right")

        # (c) fixed piecewise-constant controls
        steps = np.asarray(result.depth_steps, dtype=float)
        ax_depth.plot(steps, result.depth_error, "o-", color=COLORS["model"], markersize=4,
                      label="ResNet (Euler, $L$ steps) vs dopri5")
        slope, intercept = fits["depth"]
        _fit_line(ax_depth, steps, slope, intercept, COLORS["model"], f"fit: slope {slope:.2f}")
        _reference(ax_depth, steps, result.depth_error[0] * 1.6, -1.0, "$L^{-1}$")
        _loglog(ax_depth, "Euler steps $L$", "RMS $\\|x_L - x(T)\\|$",
                f"(c) fixed θ(t), constant on {int(steps[0])} cells")

        # (d) trained model, controls on finer grids
        tsteps = np.asarray(result.trained_steps, dtype=float)
        mask = np.asarray(result.trained_linear_fit_mask)
        ax_trained.plot(tsteps, result.trained_error_constant, "o-", color=COLORS["model"], markersize=4,
                        label="θ(t) piecewise constant")
        ax_trained.plot(tsteps, result.trained_error_linear, "s-", color=COLORS["bottleneck"], markersize=4,
                        label="θ(t) piecewise linear")
        slope, intercept = fits["trained_constant"]
        _fit_line(ax_trained, tsteps, slope, intercept, COLORS["model"], f"fit (constant): slope {slope:.2f}")
        slope, intercept = fits["trained_linear"]
        _fit_line(ax_trained, tsteps[mask], slope, intercept, COLORS["bottleneck"],
                  f"fit (linear, $L \\geq {int(tsteps[mask][0])}$): slope {slope:.2f}")
        _reference(ax_trained, tsteps, result.trained_error_constant[0] * 1.6, -1.0, "$L^{-1}$")
        _loglog(ax_trained, "Euler steps $L$", "RMS $\\|x_L - x(T)\\|$",
                f"(d) trained model (L = {int(tsteps[0])}, N = {result.trained_n}) refined")
    return fig
