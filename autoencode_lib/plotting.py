"""Figures of the companion: one consistent matplotlib style, plot functions on plain arrays.

Plot functions take the result objects of :mod:`autoencode_lib.experiments` (or anything with the
same attributes, which is how the tests drive them on tiny data) and return a ``Figure``;
:func:`save_figure` writes it as PNG and PDF with reproducible bytes (no timestamps in the files).
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

__all__ = [
    "COLORS",
    "STYLE",
    "curve_figure",
    "save_figure",
    "show",
    "style",
    "width_map",
    "width_profiles_figure",
]

COLORS = {
    "active": "#3a6ea5",
    "inactive": "#eceff3",
    "bottleneck": "#d1495b",
    "data": "#9aa5b1",
    "model": "#3a6ea5",
    "accent": "#edae49",
    "grid": "#d0d5db",
}
SEQUENTIAL = "viridis"  # colour of a sample = its curve parameter / label

STYLE = {
    "figure.dpi": 110,
    "savefig.dpi": 160,
    "savefig.bbox": "tight",
    "font.size": 9.5,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "grid.color": COLORS["grid"],
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "image.cmap": SEQUENTIAL,
    "pdf.fonttype": 42,
    "svg.hashsalt": "autoencode",
}


def style() -> Any:
    """Context manager applying the companion's style: ``with style(): fig = ...``."""
    return mpl.rc_context(STYLE)


def _new_figure(figsize: tuple[float, float]) -> Figure:
    # A Figure not registered with pyplot: no global state, no leaks in long notebooks; Jupyter
    # still displays it when it is the value of a cell.
    return Figure(figsize=figsize, layout="constrained")


# --------------------------------------------------------------------------- figure 1
def width_map(ax, summary: Any, log_y: bool | None = None) -> None:
    """Draw one width profile as a time × coordinate map of active coordinates.

    ``summary`` needs ``mask`` (L × d booleans), ``times`` (L + 1), ``widths`` (L), ``label``,
    ``num_parameters`` and ``bottleneck_time`` (None for a NeurODE).
    """
    mask = np.asarray(summary.mask, dtype=float)  # (L, d)
    steps, dim = mask.shape
    times = np.asarray(summary.times, dtype=float)
    if log_y is None:
        log_y = dim > 40
    cmap = ListedColormap([COLORS["inactive"], COLORS["active"]])
    y_edges = np.arange(1, dim + 2, dtype=float)  # coordinate j (1-based) occupies [j, j + 1)
    ax.pcolormesh(times, y_edges, mask.T, cmap=cmap, vmin=0, vmax=1, shading="flat", rasterized=True)
    widths = np.asarray(summary.widths, dtype=float)
    ax.stairs(widths + 1, times, baseline=None, color="black", linewidth=1.0)
    if log_y:
        ax.set_yscale("log")
        ticks = [t for t in (1, 10, 100, dim) if t <= dim]
        ax.set_yticks(ticks, [str(t) for t in ticks])
        ax.yaxis.set_minor_formatter(mpl.ticker.NullFormatter())
        ax.set_ylabel("coordinate $j$ (log scale)")
    else:
        ax.set_yticks(np.arange(1, dim + 1) + 0.5, [f"$x_{{{j}}}$" for j in range(1, dim + 1)])
        ax.set_ylabel("coordinate")
    ax.set_ylim(1, dim + 1)
    ax.set_xlim(times[0], times[-1])
    ax.set_xlabel("time $t$")
    if summary.bottleneck_time is not None:
        ax.axvline(summary.bottleneck_time, color=COLORS["bottleneck"], linestyle="--", linewidth=1.1)
        ax.text(
            summary.bottleneck_time,
            dim + 1,
            f" latent m = {summary.latent_width}",
            color=COLORS["bottleneck"],
            va="bottom",
            ha="center",
            fontsize=8,
            clip_on=False,
        )
    widths_seen = _block_widths(summary.widths)
    if len(widths_seen) == 1:
        blocks = f"width {widths_seen[0]} throughout"
    else:
        blocks = " → ".join(str(w) for w in widths_seen)
    ax.set_title(f"{summary.label}\n{blocks}\n{summary.num_parameters:,} parameters", pad=14)


def _block_widths(widths: Sequence[int]) -> list[int]:
    out: list[int] = []
    for w in widths:
        if not out or out[-1] != w:
            out.append(int(w))
    return out


def width_profiles_figure(summaries: Mapping[str, Any] | Sequence[Any]) -> Figure:
    """Figure 1: one width map per model, side by side (NeurODE first)."""
    items = list(summaries.values()) if isinstance(summaries, Mapping) else list(summaries)
    with style():
        fig = _new_figure((3.4 * len(items), 3.6))
        axes = fig.subplots(1, len(items), squeeze=False)[0]
        for ax, summary in zip(axes, items, strict=True):
            width_map(ax, summary)
        handles = [
            mpl.patches.Patch(color=COLORS["active"], label="active coordinate (moves)"),
            mpl.patches.Patch(color=COLORS["inactive"], label="inactive coordinate (= 0)"),
            mpl.lines.Line2D([], [], color="black", linewidth=1.0, label="width $w_k$"),
            mpl.lines.Line2D([], [], color=COLORS["bottleneck"], linestyle="--", label="bottleneck"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=4)
    return fig


# --------------------------------------------------------------------------- figure 2
def _snapshot_indices(result: Any, count: int = 5) -> list[int]:
    """Layers shown as snapshots: 0, mid-encoder, bottleneck, mid-decoder, L."""
    steps = result.trajectory.shape[0] - 1
    kb = int(result.bottleneck_index)
    picks = [0, kb // 2, kb, kb + (steps - kb) // 2, steps]
    if count != 5:
        picks = np.linspace(0, steps, count).round().astype(int).tolist()
    return sorted(set(picks))


def curve_figure(result: Any) -> Figure:
    """Figure 2: the curve 2 → 1 → 2 AutoencODE after training.

    ``result`` needs ``x`` (N, 2) data, ``s`` (N,) curve parameter, ``trajectory`` (L + 1, N, 2),
    ``times`` (L + 1), ``bottleneck_index``, ``reconstruction`` (N, 2), ``latent`` (N,),
    ``history`` (list of dicts with ``iteration``/``total``/``fidelity``/``lam``), ``lam``.
    """
    traj = np.asarray(result.trajectory)
    x = np.asarray(result.x)
    s = np.asarray(result.s)
    recon = np.asarray(result.reconstruction)
    latent = np.asarray(result.latent)
    times = np.asarray(result.times)
    kb = int(result.bottleneck_index)
    picks = _snapshot_indices(result)
    order = np.argsort(s)
    xlim = 1.1 * max(np.abs(traj[..., 0]).max(), np.abs(x[:, 0]).max(), 1e-9)
    ylim = 1.25 * max(np.abs(traj[..., 1]).max(), np.abs(x[:, 1]).max(), 1e-9)
    with style():
        fig = _new_figure((13.5, 5.4))
        grid = fig.add_gridspec(2, 12, height_ratios=[1.0, 1.45])
        top = [fig.add_subplot(grid[0, 2 * i + 1 : 2 * i + 3]) for i in range(len(picks))][:5]
        for ax, k in zip(top, picks, strict=False):
            phase = "encoder" if k < kb else ("bottleneck" if k == kb else "decoder")
            if k == 0:
                phase = "input"
            elif k == len(times) - 1:
                phase = "output"
            ax.plot(x[order, 0], x[order, 1], color=COLORS["data"], linewidth=1.0, zorder=1)
            ax.scatter(traj[k, :, 0], traj[k, :, 1], c=s, s=9, cmap=SEQUENTIAL, vmin=-1, vmax=1, zorder=2)
            if k == kb:
                ax.axhline(0.0, color=COLORS["bottleneck"], linewidth=0.9, linestyle="--", zorder=0)
            ax.set_title(f"{phase}, $t = {times[k]:.2f}$", color=COLORS["bottleneck"] if k == kb else "black")
            ax.set_xlim(-xlim, xlim)
            ax.set_ylim(-ylim, ylim)
            ax.set_aspect("equal")
            ax.set_xlabel("$x_1$")
        if top:
            top[0].set_ylabel("$x_2$")

        ax_paths = fig.add_subplot(grid[1, 0:3])
        step = max(1, len(s) // 40)
        cmap = mpl.colormaps[SEQUENTIAL]
        for i in order[::step]:
            ax_paths.plot(traj[:, i, 0], traj[:, i, 1], color=cmap((s[i] + 1) / 2), linewidth=0.7, alpha=0.8)
        ax_paths.scatter(traj[kb, :, 0], traj[kb, :, 1], color=COLORS["bottleneck"], s=6, zorder=3,
                         label="bottleneck state")
        ax_paths.set_title("particle trajectories $t \\mapsto x(t)$")
        ax_paths.set_xlabel("$x_1$")
        ax_paths.set_ylabel("$x_2$")
        ax_paths.legend(loc="lower right")

        ax_rec = fig.add_subplot(grid[1, 3:6])
        ax_rec.plot(x[order, 0], x[order, 1], color=COLORS["data"], linewidth=2.5, label="data curve")
        ax_rec.scatter(recon[:, 0], recon[:, 1], c=s, s=9, cmap=SEQUENTIAL, vmin=-1, vmax=1, zorder=3,
                       label="reconstruction $x(T)$")
        mse = float(((recon - x) ** 2).sum(axis=1).mean())
        ax_rec.set_title(f"reconstruction (MSE {mse:.2e})")
        ax_rec.set_xlabel("$x_1$")
        ax_rec.set_ylabel("$x_2$")
        ax_rec.legend(loc="lower right")

        ax_lat = fig.add_subplot(grid[1, 6:9])
        ax_lat.scatter(s, latent, c=s, s=9, cmap=SEQUENTIAL, vmin=-1, vmax=1)
        ax_lat.set_title("latent code vs curve parameter")
        ax_lat.set_xlabel("curve parameter $s$")
        ax_lat.set_ylabel(f"latent $z = x_1(t_{{{kb}}})$")

        ax_hist = fig.add_subplot(grid[1, 9:12])
        hist = list(result.history)
        it = np.array([h["iteration"] for h in hist])
        ax_hist.semilogy(it, [h["total"] for h in hist], color=COLORS["model"], label="total $J$")
        ax_hist.semilogy(it, [h["fidelity"] for h in hist], color=COLORS["accent"], label="fidelity")
        lam = np.array([h["lam"] for h in hist])
        ax_hist.semilogy(it, lam, color="black", linestyle=":", linewidth=1.0, label="λ (continuation)")
        ax_hist.set_title(f"training: λ-continuation to λ = {result.lam:g}")
        ax_hist.set_xlabel("iteration")
        ax_hist.legend(loc="upper right")
        ax_hist.grid(True, which="major")
    return fig


# --------------------------------------------------------------------------- saving
def save_figure(fig: Figure, out_dir: str | os.PathLike, stem: str, formats: Sequence[str] = ("png", "pdf")):
    """Write ``<out_dir>/<stem>.<fmt>`` for each format, reproducibly; return the paths.

    Each file is written to a temporary name then moved into place, so ``make -j`` never exposes a
    half-written figure.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        if fmt == "png":
            metadata = {"Software": None}
        else:
            metadata = {"Creator": None, "Producer": None, "CreationDate": None}
        path = out / f"{stem}.{fmt}"
        tmp = out / f".{stem}.{os.getpid()}.tmp.{fmt}"
        with style():
            fig.savefig(tmp, format=fmt, metadata=metadata)
        os.replace(tmp, path)
        paths.append(path)
    return paths


def show(fig: Figure, dpi: int = 100) -> None:
    """Display ``fig`` as a PNG in a notebook (these figures are not registered with pyplot, so
    Jupyter would otherwise print only their repr); outside IPython, do nothing."""
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return
    if get_ipython() is None:
        return
    buffer = io.BytesIO()
    with style():
        fig.savefig(buffer, format="png", dpi=dpi)
    display(Image(data=buffer.getvalue(), format="png"))
