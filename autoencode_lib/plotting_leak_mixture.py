"""Figures 3 (the leak) and 4 (Gaussian mixture), in the style of :mod:`autoencode_lib.plotting`.

Both functions take the result objects of :mod:`autoencode_lib.experiments.leak` and
:mod:`autoencode_lib.experiments.mixture` (or anything with the same attributes) and return a
``Figure``; save it with :func:`autoencode_lib.plotting.save_figure`.
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from .plotting import COLORS, _new_figure, style

__all__ = ["COMPONENT_COLORS", "leak_figure", "mixture_figure"]

MODE_COLORS = {"freeze": COLORS["accent"], "reset": COLORS["model"]}
MODE_LABELS = {"freeze": "freeze (leak variant)", "reset": "reset (AutoencODE)"}
COMPONENT_COLORS = ("#3a6ea5", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#2e4057", "#c35f2b")
DIVERGING = "coolwarm"


# --------------------------------------------------------------------------- figure 3
def leak_figure(result: Any) -> Figure:
    """Figure 3: freeze vs reset through a width-1 bottleneck on a 2-D blob.

    ``result`` needs ``x`` (N, 2), ``bottleneck_index``, ``times``, ``lam``, ``pca1_mse``,
    ``total_variance`` and ``runs`` = {"freeze": run, "reset": run}, each run with ``history``
    (dicts with ``iteration``/``fidelity``/``lam``), ``trajectory`` (L + 1, N, 2),
    ``reconstruction`` (N, 2), ``rank_ratio`` (N,) and ``decoder_curve`` ((M, 2) or None).
    """
    x = np.asarray(result.x)
    kb = int(result.bottleneck_index)
    colour = x[:, 1]  # colour = the input's x2, the coordinate a true 1-D bottleneck cannot carry
    vmax = float(np.abs(colour).max()) or 1.0
    lim = 1.15 * max(
        np.abs(x).max(),
        *(np.abs(np.asarray(r.trajectory)[[kb, -1]]).max() for r in result.runs.values()),
    )
    with style():
        fig = _new_figure((13.5, 8.2))
        axes = fig.subplots(2, 3)

        ax = axes[0, 0]
        for name, run in result.runs.items():
            it = np.array([h["iteration"] for h in run.history])
            fid = np.maximum([h["fidelity"] for h in run.history], 1e-300)
            ax.semilogy(it, fid, color=MODE_COLORS[name], label=f"{MODE_LABELS[name]}: fidelity")
        ax.axhline(result.pca1_mse, color="black", linestyle="--", linewidth=0.9,
                   label="best linear 1-D code (PCA)")
        ax.set_xlabel("iteration (λ-continuation)")
        ax.set_ylabel("$(1/N)\\sum_i \\|x_L^{(i)} - x^{(i)}\\|^2$")
        ax.set_title(f"reconstruction error while training\n(λ-continuation to λ = {result.lam:g})")
        ax.legend(loc="lower left")
        ax.grid(True, which="major")

        for ax, name in zip(axes[0, 1:], ("freeze", "reset"), strict=True):
            state = np.asarray(result.runs[name].trajectory)[kb]
            ax.scatter(state[:, 0], state[:, 1], c=colour, cmap=DIVERGING, vmin=-vmax, vmax=vmax, s=9)
            ax.axhline(0.0, color=COLORS["bottleneck"], linewidth=0.9, linestyle="--", zorder=0)
            spread = float(np.abs(state[:, 1]).max())
            what = ("$x_2$ kept: it leaks past the bottleneck" if spread > 0
                    else "on the $x_1$-axis: a 1-D code")
            ax.set_title(f"{name}: state at the bottleneck, $t = {result.times[kb]:.1f}$\n{what}")
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_aspect("equal")
            ax.set_xlabel("$x_1$")
            ax.set_ylabel("$x_2$")

        ax = axes[1, 0]
        bins = np.logspace(-18, 0.5, 40)
        for name, run in result.runs.items():
            ratio = np.clip(np.asarray(run.rank_ratio), 1e-18, None)
            ax.hist(ratio, bins=bins, color=MODE_COLORS[name], alpha=0.8,
                    label=f"{name}: max {np.asarray(run.rank_ratio).max():.1e}")
        ax.set_xscale("log")
        ax.set_xlabel("$\\sigma_2 / \\sigma_1$ of $\\partial x_L / \\partial x_0$ "
                      "(values below $10^{-18}$ at $10^{-18}$)")
        ax.set_ylabel("samples")
        ax.set_title("local rank of the output map\n(per-sample Jacobian)")
        ax.legend(loc="upper center")

        for ax, name in zip(axes[1, 1:], ("freeze", "reset"), strict=True):
            run = result.runs[name]
            recon = np.asarray(run.reconstruction)
            mse = float(((recon - x) ** 2).sum(axis=1).mean())
            ax.scatter(x[:, 0], x[:, 1], s=22, facecolors="none", edgecolors=COLORS["data"], linewidths=0.7,
                       label="data")
            sc = ax.scatter(recon[:, 0], recon[:, 1], c=colour, cmap=DIVERGING, vmin=-vmax, vmax=vmax, s=9,
                            label="output $x_L$", zorder=3)
            if run.decoder_curve is not None:
                c = np.asarray(run.decoder_curve)
                ax.plot(c[:, 0], c[:, 1], color="black", linewidth=0.9, zorder=2,
                        label="decoder curve $z \\mapsto$ decode$(z)$")
            share = mse / result.total_variance
            ax.set_title(f"{MODE_LABELS[name]}: output $x_L$\nMSE {mse:.2g} ({share:.0%} of the variance)")
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_aspect("equal")
            ax.set_xlabel("$x_1$")
            ax.set_ylabel("$x_2$")
            ax.legend(loc="lower right", fontsize=7.5)
        fig.colorbar(sc, ax=axes[:, 2], shrink=0.6, label="input $x_2$ (colour of every point)")
    return fig


# --------------------------------------------------------------------------- figure 4
def _component_colors(labels: np.ndarray) -> list[str]:
    return [COMPONENT_COLORS[int(c) % len(COMPONENT_COLORS)] for c in labels]


def mixture_figure(result: Any, per_component: int = 3) -> Figure:
    """Figure 4: the Gaussian-mixture AutoencODE (d → … → 2 → … → d) against PCA.

    ``result`` needs ``x_train``/``y_train``/``x_test``/``y_test``, ``z_train``/``z_test``,
    ``trajectory`` (L + 1, M, d) of the test points, ``times``, ``widths``, ``bottleneck_index``,
    ``reconstruction`` and ``pca_reconstruction`` (M, d), ``pca_mean``, ``pca_basis`` (d, d),
    ``per_coordinate_mse``/``pca_per_coordinate_mse``, ``mse``/``pca_mse``, ``knn_accuracy``,
    ``history`` and ``lam``.
    """
    y_test = np.asarray(result.y_test)
    x_test = np.asarray(result.x_test)
    traj = np.asarray(result.trajectory)
    times = np.asarray(result.times)
    dim = x_test.shape[1]
    kb = int(result.bottleneck_index)
    colors = _component_colors(y_test)
    basis = np.asarray(result.pca_basis)
    mean = np.asarray(result.pca_mean)
    with style():
        fig = _new_figure((15.0, 8.4))
        top_fig, bottom_fig = fig.subfigures(2, 1, height_ratios=[1.15, 1.0])
        top = top_fig.subplots(1, 4)
        bottom = bottom_fig.subplots(1, dim, sharey=True)

        ax = top[0]
        z_train, z_test = np.asarray(result.z_train), np.asarray(result.z_test)
        ax.scatter(z_train[:, 0], z_train[:, 1], c=_component_colors(result.y_train), s=5, alpha=0.25,
                   linewidths=0)
        ax.scatter(z_test[:, 0], z_test[:, 1], c=colors, s=10, edgecolors="white", linewidths=0.3)
        ax.set_xlabel("latent $z_1 = x_1(t_{k_b})$")
        ax.set_ylabel("latent $z_2 = x_2(t_{k_b})$")
        ax.set_title(f"latent codes by component\nheld-out k-NN accuracy {result.knn_accuracy:.1%}")
        handles = [mpl.lines.Line2D([], [], marker="o", linestyle="", color=COMPONENT_COLORS[c],
                                    label=f"component {c}") for c in sorted(set(y_test.tolist()))]
        ax.legend(handles=handles, loc="best", fontsize=7.5)

        ax = top[1]
        proj = (x_test - mean) @ basis[:, :2]
        rec = (np.asarray(result.reconstruction) - mean) @ basis[:, :2]
        ax.scatter(proj[:, 0], proj[:, 1], s=22, facecolors="none", edgecolors=COLORS["data"], linewidths=0.7,
                   label="held-out data")
        ax.scatter(rec[:, 0], rec[:, 1], c=colors, s=7, label="AutoencODE $x_L$", zorder=3)
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel("data PC 1")
        ax.set_ylabel("data PC 2")
        ax.set_title("reconstructions vs data\n(on the data's PC1–PC2 plane)")
        ax.legend(loc="best", fontsize=7.5)

        ax = top[2]
        idx = np.arange(1, dim + 1)
        ax.bar(idx - 0.2, result.per_coordinate_mse, width=0.4, color=COLORS["model"],
               label=f"AutoencODE (total {result.mse:.2e})")
        ax.bar(idx + 0.2, result.pca_per_coordinate_mse, width=0.4, color=COLORS["data"],
               label=f"PCA, 2 components (total {result.pca_mse:.2e})")
        ax.set_xticks(idx, [f"$x_{{{j}}}$" for j in idx])
        ax.set_ylabel("held-out MSE per coordinate")
        ax.set_title(f"held-out MSE vs PCA (width 2)\nratio {result.mse / result.pca_mse:.2f}")
        ax.legend(loc="upper left", fontsize=7.5)

        ax = top[3]
        hist = list(result.history)
        it = np.array([h["iteration"] for h in hist])
        ax.semilogy(it, [h["total"] for h in hist], color=COLORS["model"], label="total $J$")
        ax.semilogy(it, [h["fidelity"] for h in hist], color=COLORS["accent"], label="fidelity (train)")
        ax.semilogy(it, [h["lam"] for h in hist], color="black", linestyle=":", linewidth=1.0,
                    label="λ (continuation)")
        ax.axhline(result.pca_mse, color=COLORS["data"], linestyle="--", linewidth=0.9,
                   label="PCA (held-out)")
        ax.set_xlabel("iteration")
        ax.set_title(f"training\nλ-continuation to λ = {result.lam:g}")
        ax.legend(loc="upper right", fontsize=7.5)
        ax.grid(True, which="major")

        # trajectories: each coordinate x_j(t) for a few held-out points of every component
        picks = []
        for c in sorted(set(y_test.tolist())):
            picks.extend(np.flatnonzero(y_test == c)[:per_component].tolist())
        widths = np.asarray(result.widths)
        ylim = 1.1 * float(np.abs(traj[:, picks]).max())
        for j, ax in enumerate(bottom):
            inactive = widths <= j  # layer k has coordinate j inactive
            for k in np.flatnonzero(inactive):
                ax.axvspan(times[k], times[k + 1], color=COLORS["inactive"], linewidth=0, zorder=0)
            for i in picks:
                ax.plot(times, traj[:, i, j], color=COMPONENT_COLORS[int(y_test[i]) % len(COMPONENT_COLORS)],
                        linewidth=0.9, alpha=0.9)
            ax.axvline(times[kb], color=COLORS["bottleneck"], linestyle="--", linewidth=0.9)
            ax.set_ylim(-ylim, ylim)
            ax.set_xlabel("time $t$")
            ax.set_title(f"$x_{{{j + 1}}}(t)$", fontsize=9.5)
            if j == 0:
                ax.set_ylabel("trajectories (held-out points)")
    return fig
