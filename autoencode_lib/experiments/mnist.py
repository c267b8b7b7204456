"""Figure 8: MNIST through an AutoencODE, against PCA and an MLP autoencoder (SPEC §6, row 8).

Data: :func:`autoencode_lib.mnist.load_mnist` (the full set from the cached PyPI wheel for the paper
profile, the committed 1000 + 500 image subset for the smoke profile). Pixels are reordered by
decreasing variance over the training images, so the coordinates the AutoencODE keeps when the width
shrinks (the *leading* ones, SPEC §1) are the informative pixels and the always-black border is
what is dropped first; PCA and the MLP do not depend on the order of the pixels.

Models, all with latent width 32 and trained on the same images:

* AutoencODE 784 → 128 → 32 → 128 → 784 (blocks of :data:`BLOCKS`, horizon :data:`HORIZON`, tanh,
  ``inactive="reset"``, float32), trained by minibatch Adam on J = (1/B) Σ ‖x_L − x‖² + λ h Σ ‖θ_k‖²
  (:func:`train_minibatch`; the library's :func:`autoencode_lib.training.train` takes full-batch
  steps, too slow for 10 000 images of dimension 784).
* PCA with 32 components (scikit-learn).
* MLP autoencoder with the same layer widths as the AutoencODE's Euler steps (784 → 784 → 128 → 128
  → 32 → 32 → 128 → 128 → 784, tanh, linear output), the same optimiser, schedule, batches and
  epochs.
* A timed probe of the proposed method (λ-continuation, SPEC §4.4, via ``train(...,
  method="continuation")``) on a small subset, to report its cost at this size.

Trained weights, histories and timings are cached (:mod:`autoencode_lib.cache`); evaluation is
recomputed from them in seconds.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from ..cache import cached
from ..cost import tikhonov
from ..mnist import load_mnist
from ..model import AutoencODE
from ..profile import WidthProfile
from ..seeding import seed_everything
from .common import profile_config, torch_threads

__all__ = ["BLOCKS", "HORIZON", "PARAMETERS", "PROFILES", "MnistResult", "build_mlp", "build_model",
           "figure", "mlp_widths", "run", "train_minibatch"]

# The notebook's parameters cell must declare exactly these names (tests/test_notebooks.py checks).
PARAMETERS = {
    "profile": "paper",
    "seed": 0,
    "device": "cpu",
    "out_dir": "figures",
    "use_cache": True,
}

# Width profile (width, Euler steps) and horizon: h = T / L = 1. Few 784-wide layers: each is a
# 784 × 784 matrix (615 440 parameters with its bias) and dominates the cost.
BLOCKS: list[tuple[int, int]] = [(784, 1), (128, 2), (32, 2), (128, 2), (784, 1)]
HORIZON = 8.0
LATENT = 32

# How much work each profile does. "smoke" runs in seconds on the committed subset (tests); "paper"
# makes the figure (about 4 min on one core of a 2-core laptop-class CPU; cached afterwards).
PROFILES: dict[str, dict[str, Any]] = {
    "smoke": {"source": "subset", "n_train": 1000, "n_test": 500, "epochs": 12, "batch_size": 128,
              "lr": 3e-3, "lam": 1e-5, "probe_n": 100, "probe_iterations": 2},
    "paper": {"source": "full", "n_train": 10_000, "n_test": 10_000, "epochs": 40, "batch_size": 128,
              "lr": 3e-3, "lam": 1e-5, "probe_n": 1000, "probe_iterations": 3},
}
SHOW_DIGITS = 10  # one test image of each digit in the reconstruction panel
SCATTER_POINTS = 2000  # test codes drawn in the latent map


# --------------------------------------------------------------------------- models
def build_model(seed: int = 0, device: str = "cpu") -> AutoencODE:
    profile = WidthProfile.from_blocks(BLOCKS, horizon=HORIZON)
    return AutoencODE(profile, activation="tanh", inactive="reset", dtype=torch.float32, device=device,
                      seed=seed)


def mlp_widths() -> list[int]:
    """784 followed by the width of every Euler step of the AutoencODE."""
    return [BLOCKS[0][0]] + [w for w, steps in BLOCKS for _ in range(steps)]


def build_mlp(seed: int = 0, device: str = "cpu") -> nn.Sequential:
    """Linear + tanh layers with the AutoencODE's widths, linear output; torch's default init."""
    widths = mlp_widths()
    gen_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for a, b in zip(widths[:-1], widths[1:], strict=True):
        layers += [nn.Linear(a, b), nn.Tanh()]
    torch.random.set_rng_state(gen_state)
    return nn.Sequential(*layers[:-1]).to(device)


# --------------------------------------------------------------------------- training
def _sq_error(out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return ((out - x) ** 2).sum(dim=1).mean()


@torch.no_grad()
def _mse(module: nn.Module, x: torch.Tensor, batch: int = 2000) -> float:
    """Mean squared error per pixel of ``module`` on ``x``."""
    total = 0.0
    for i in range(0, x.shape[0], batch):
        xb = x[i: i + batch]
        total += float(((module(xb) - xb) ** 2).sum())
    return total / x.numel()


def train_minibatch(
    module: nn.Module,
    x: torch.Tensor,
    x_test: torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
    lam: float = 0.0,
) -> dict[str, Any]:
    """Minibatch Adam on (1/B) Σ ‖module(x) − x‖² (+ λ h Σ ‖θ_k‖² for an AutoencODE).

    One-cycle learning-rate schedule (peak ``lr``), batches from a seeded permutation per epoch.
    History per epoch: mean training loss per pixel, test MSE per pixel, wall time.
    """
    gen = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    per_epoch = math.ceil(x.shape[0] / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * per_epoch,
                                                   pct_start=0.1)
    regularised = isinstance(module, AutoencODE) and lam > 0
    history = [{"epoch": 0, "train_mse": _mse(module, x), "test_mse": _mse(module, x_test), "seconds": 0.0}]
    seconds = 0.0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(x.shape[0], generator=gen).to(x.device)
        running = 0.0
        for i in range(0, x.shape[0], batch_size):
            xb = x[order[i: i + batch_size]]
            fidelity = _sq_error(module(xb), xb)
            loss = fidelity + lam * tikhonov(module) if regularised else fidelity
            if not torch.isfinite(loss):
                raise FloatingPointError(f"training diverged at epoch {epoch}: loss {float(loss)}")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            running += float(fidelity.detach()) * xb.shape[0]
        seconds += time.perf_counter() - start
        history.append({"epoch": epoch, "train_mse": running / x.numel(), "test_mse": _mse(module, x_test),
                        "seconds": seconds})
    return {"history": history, "train_seconds": seconds}


def _probe_continuation(x: torch.Tensor, config: dict[str, Any], device: str) -> dict[str, Any]:
    """A few outer iterations of λ-continuation (the proposed method) on ``probe_n`` images."""
    from ..training import train

    model = build_model(config["seed"], device)
    xs = x[: config["probe_n"]]
    start = time.perf_counter()
    result = train(model, xs, None, config["lam"], method="continuation",
                   iterations=config["probe_iterations"], seed=config["seed"], progress=False,
                   lam_start=1.0, stages=5, on_divergence="stop")
    seconds = time.perf_counter() - start
    # full-batch forward/backward sweeps: one per shooting step, the L-BFGS evaluations + 1 per
    # minimising-movement step, one per stage start
    sweeps = 1 + sum(int(h.get("inner_evaluations", 0)) + 1 for h in result.history[1:])
    return {
        "history": [{k: v for k, v in h.items() if isinstance(v, int | float | str)} for h in result.history],
        "seconds": seconds,
        "sweeps": sweeps,
        "images": int(xs.shape[0]),
        "train_mse": float(result.history[-1]["fidelity"]) / xs.shape[1],
        "status": result.status,
    }


def _load(config: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x, y = load_mnist("train", limit=config["n_train"], source=config["source"])
    xt, yt = load_mnist("test", limit=config["n_test"], source=config["source"])
    return x, y, xt, yt


def _pixel_order(x: np.ndarray) -> np.ndarray:
    """Pixels by decreasing variance over the training images (ties: by index)."""
    return np.argsort(-x.var(axis=0), kind="stable")


def _train_all(config: dict[str, Any], device: str) -> dict[str, Any]:
    from sklearn.decomposition import PCA

    x, _, xt, _ = _load(config)
    order = _pixel_order(x)
    X = torch.from_numpy(x[:, order]).to(device)
    XT = torch.from_numpy(xt[:, order]).to(device)
    budget = {k: config[k] for k in ("epochs", "batch_size", "lr")}
    with torch_threads(1):  # on a shared 2-core machine one thread was ~10x faster than two
        seed_everything(config["seed"])
        model = build_model(config["seed"], device)
        ode = train_minibatch(model, X, XT, seed=config["seed"], lam=config["lam"], **budget)
        seed_everything(config["seed"])
        mlp = build_mlp(config["seed"], device)
        mlp_run = train_minibatch(mlp, X, XT, seed=config["seed"], **budget)
        start = time.perf_counter()
        pca = PCA(n_components=LATENT, random_state=config["seed"]).fit(x[:, order])
        pca_seconds = time.perf_counter() - start
        probe = _probe_continuation(X, config, device)
    return {
        "order": torch.from_numpy(order.copy()),
        "autoencode": {"state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()}, **ode},
        "mlp": {"state_dict": {k: v.detach().cpu() for k, v in mlp.state_dict().items()}, **mlp_run},
        "pca": {"components": torch.from_numpy(pca.components_.copy()),
                "mean": torch.from_numpy(pca.mean_.copy()), "train_seconds": pca_seconds},
        "probe": probe,
    }


# --------------------------------------------------------------------------- result
@dataclass
class MnistResult:
    """Everything figure 8 shows, evaluated on the test images (pixels in the original order)."""

    config: dict[str, Any]
    table: list[dict[str, Any]]  # one row per method: name, latent, params, train_seconds, test_mse
    mean_image_mse: float  # test MSE of predicting the mean training image
    show_images: np.ndarray  # (10, 784) one test image per digit
    show_labels: np.ndarray
    reconstructions: dict[str, np.ndarray]  # method → (10, 784)
    latent_2d: np.ndarray  # (n, 2) PCA projection of the AutoencODE codes of test images
    latent_labels: np.ndarray  # (n,)
    latent_variance: np.ndarray  # fraction of the codes' variance along the two axes
    histories: dict[str, list[dict[str, Any]]]  # "autoencode", "mlp": per epoch
    probe: dict[str, Any]  # the λ-continuation probe
    bottleneck_max_abs: float  # max |x_j| at the bottleneck over inactive j (0 exactly)
    cache_key: str | None
    cache_hit: bool
    model: AutoencODE | None = field(default=None, repr=False)

    def row(self, method: str) -> dict[str, Any]:
        return next(r for r in self.table if r["method"] == method)

    def summary(self) -> dict[str, Any]:
        ode, pca, mlp = self.row("AutoencODE"), self.row("PCA"), self.row("MLP autoencoder")
        hist = self.histories["autoencode"]
        return {
            "train_images": int(self.config["n_train"]),
            "test_images": int(self.config["n_test"]),
            "epochs": int(self.config["epochs"]),
            "latent": LATENT,
            "autoencode_mse": ode["test_mse"],
            "pca_mse": pca["test_mse"],
            "mlp_mse": mlp["test_mse"],
            "mean_image_mse": self.mean_image_mse,
            "autoencode_params": ode["params"],
            "mlp_params": mlp["params"],
            "autoencode_seconds": ode["train_seconds"],
            "initial_train_mse": hist[0]["train_mse"],
            "final_train_mse": hist[-1]["train_mse"],
            "probe_seconds": self.probe["seconds"],
            "probe_images": self.probe["images"],
            "probe_iterations": len(self.probe["history"]) - 1,
            "probe_sweeps": self.probe["sweeps"],
            "probe_train_mse": self.probe["train_mse"],
            "bottleneck_max_abs": self.bottleneck_max_abs,
        }

    def table_text(self) -> str:
        """The comparison table, numbers rounded (4 significant digits for the MSE)."""
        # the training time comes last and unpadded: nbval masks it, the rest must line up alike
        lines = [f"{'method':<16} {'latent':>6} {'parameters':>10} {'test MSE/pixel':>15}   train time"]
        for r in self.table:
            lines.append(f"{r['method']:<16} {r['latent']:>6} {r['params']:>10,} {r['test_mse']:>15.4g}   "
                         f"{r['train_seconds']:.1f} s")
        lines.append(f"{'mean image':<16} {0:>6} {784:>10,} {self.mean_image_mse:>15.4g}   —")
        return "\n".join(lines)


def _pca_reconstruct(pca: dict[str, torch.Tensor], x: np.ndarray) -> np.ndarray:
    comps, mean = pca["components"].numpy(), pca["mean"].numpy()
    return (x - mean) @ comps.T @ comps + mean


def run(
    profile: str = "smoke",
    seed: int = 0,
    device: str = "cpu",
    *,
    epochs: int | None = None,
    n_train: int | None = None,
    use_cache: bool = True,
) -> MnistResult:
    """Train (or load from the cache) the three autoencoders and evaluate them on the test images.

    ``profile`` sets the defaults (:data:`PROFILES`); ``epochs``/``n_train`` override them. The cache
    key covers the whole configuration and the seed, not ``device``.
    """
    config = profile_config(PROFILES, profile, epochs=epochs, n_train=n_train)
    config.update(seed=int(seed), blocks=[list(b) for b in BLOCKS], horizon=HORIZON, latent=LATENT,
                  mlp_widths=mlp_widths(), optimizer="adam-onecycle")
    entry = cached("mnist_autoencoders", config, lambda: _train_all(config, device), enabled=use_cache)
    stored = entry.value

    x, _, xt, yt = _load(config)
    order = stored["order"].numpy()
    inverse = np.argsort(order)
    model = build_model(seed, device)
    model.load_state_dict(stored["autoencode"]["state_dict"])
    mlp = build_mlp(seed, device)
    mlp.load_state_dict(stored["mlp"]["state_dict"])
    XT = torch.from_numpy(xt[:, order]).to(device)
    with torch.no_grad(), torch_threads(1):
        rec_ode = torch.cat([model(XT[i: i + 2000]) for i in range(0, len(XT), 2000)]).cpu().numpy()
        rec_mlp = torch.cat([mlp(XT[i: i + 2000]) for i in range(0, len(XT), 2000)]).cpu().numpy()
        codes = model.encode(XT[:SCATTER_POINTS]).cpu().numpy()
        bottleneck = model.trajectory(XT[:64])[model.profile.bottleneck_end, :, LATENT:]
    rec_pca = _pca_reconstruct(stored["pca"], xt[:, order])
    xo = xt[:, order]
    mse = {name: float(((rec - xo) ** 2).mean()) for name, rec in
           (("AutoencODE", rec_ode), ("PCA", rec_pca), ("MLP autoencoder", rec_mlp))}
    mean_image_mse = float(((xt - x.mean(axis=0)) ** 2).mean())
    table = [
        {"method": "AutoencODE", "latent": LATENT, "params": model.num_parameters(),
         "train_seconds": float(stored["autoencode"]["train_seconds"]), "test_mse": mse["AutoencODE"]},
        {"method": "PCA", "latent": LATENT, "params": int(stored["pca"]["components"].numel()
                                                          + stored["pca"]["mean"].numel()),
         "train_seconds": float(stored["pca"]["train_seconds"]), "test_mse": mse["PCA"]},
        {"method": "MLP autoencoder", "latent": LATENT, "params": sum(p.numel() for p in mlp.parameters()),
         "train_seconds": float(stored["mlp"]["train_seconds"]), "test_mse": mse["MLP autoencoder"]},
    ]
    picks = np.array([int(np.flatnonzero(yt == d)[0]) for d in range(10) if (yt == d).any()])
    centred = codes - codes.mean(axis=0)
    _, svals, vt = np.linalg.svd(centred, full_matrices=False)
    latent_2d = centred @ vt[:2].T
    return MnistResult(
        config=config,
        table=table,
        mean_image_mse=mean_image_mse,
        show_images=xt[picks],
        show_labels=yt[picks],
        reconstructions={name: rec[picks][:, inverse] for name, rec in
                         (("AutoencODE", rec_ode), ("MLP autoencoder", rec_mlp), ("PCA", rec_pca))},
        latent_2d=latent_2d,
        latent_labels=yt[:SCATTER_POINTS],
        latent_variance=(svals[:2] ** 2) / float((svals**2).sum()),
        histories={"autoencode": list(stored["autoencode"]["history"]),
                   "mlp": list(stored["mlp"]["history"])},
        probe=dict(stored["probe"]),
        bottleneck_max_abs=float(bottleneck.abs().max()),
        cache_key=entry.key,
        cache_hit=entry.hit,
        model=model,
    )


# --------------------------------------------------------------------------- figure
def figure(result: MnistResult):
    """Figure 8: reconstructions, latent map by digit, training curves, comparison table."""
    from ..plotting import COLORS, _new_figure, style

    colors = {"AutoencODE": COLORS["model"], "MLP autoencoder": COLORS["accent"], "PCA": COLORS["bottleneck"]}
    with style():
        fig = _new_figure((13.5, 8.6))
        grid = fig.add_gridspec(2, 3, height_ratios=[1.0, 1.15])

        # originals vs reconstructions: one mosaic, rows = original + the three methods
        ax = fig.add_subplot(grid[0, :])
        rows = [("original", result.show_images)] + list(result.reconstructions.items())
        tiles = [np.concatenate([np.pad(img.reshape(28, 28).clip(0, 1), 1, constant_values=0.25)
                                 for img in images], axis=1) for _, images in rows]
        ax.imshow(np.concatenate(tiles, axis=0), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_yticks([30 * i + 15 for i in range(len(rows))], [name for name, _ in rows])
        ax.set_xticks([30 * i + 15 for i in range(len(result.show_labels))],
                      [str(d) for d in result.show_labels])
        ax.tick_params(length=0)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        mse = {r["method"]: r["test_mse"] for r in result.table}
        ax.set_title("test digits and their reconstructions (latent width 32; test MSE per pixel: "
                     + ", ".join(f"{k} {v:.4f}" for k, v in mse.items()) + ")")

        # latent map
        ax = fig.add_subplot(grid[1, 0])
        scatter = ax.scatter(result.latent_2d[:, 0], result.latent_2d[:, 1], c=result.latent_labels,
                             cmap="tab10", vmin=-0.5, vmax=9.5, s=5, alpha=0.8, linewidths=0)
        cbar = fig.colorbar(scatter, ax=ax, ticks=range(10), fraction=0.05, pad=0.02)
        cbar.set_label("digit")
        var = result.latent_variance
        ax.set_xlabel(f"PC 1 of the codes ({100 * var[0]:.0f}% of variance)")
        ax.set_ylabel(f"PC 2 ({100 * var[1]:.0f}%)")
        ax.set_title(f"AutoencODE latent codes (R$^{{{LATENT}}}$), {len(result.latent_labels)} test digits")

        # training curves
        ax = fig.add_subplot(grid[1, 1])
        for key, name in (("autoencode", "AutoencODE"), ("mlp", "MLP autoencoder")):
            hist = result.histories[key]
            epochs = [h["epoch"] for h in hist]
            ax.semilogy(epochs, [h["test_mse"] for h in hist], color=colors[name], label=f"{name}, test")
            ax.semilogy(epochs, [h["train_mse"] for h in hist], color=colors[name], linestyle=":",
                        label=f"{name}, train")
        ax.axhline(mse["PCA"], color=colors["PCA"], linestyle="--", linewidth=1.0, label="PCA (32), test")
        ax.axhline(result.mean_image_mse, color="black", linestyle="--", linewidth=0.8, label="mean image")
        ax.set_xlabel("epoch (minibatch Adam, same budget for both)")
        ax.set_ylabel("MSE per pixel")
        ax.set_title("training curves")
        ax.legend(loc="upper right", fontsize=7.5)
        ax.grid(True, which="major")

        # table
        ax = fig.add_subplot(grid[1, 2])
        ax.axis("off")
        cells = [[r["method"], f"{r['params']:,}", f"{r['train_seconds']:.1f}", f"{r['test_mse']:.4g}"]
                 for r in result.table]
        probe = result.probe
        cells.append([f"λ-continuation\n(probe: {probe['images']} img.)",
                      f"{result.table[0]['params']:,}", f"{probe['seconds']:.1f}",
                      f"{probe['train_mse']:.4g} (train)"])
        cells.append(["mean image", "784", "—", f"{result.mean_image_mse:.4g}"])
        table = ax.table(cellText=cells, colLabels=["method", "params", "train (s)", "test MSE/pixel"],
                         colWidths=[0.34, 0.19, 0.17, 0.30], loc="upper center", cellLoc="center")
        table.auto_set_font_size(False)
        table.set_fontsize(8)
        table.scale(1.0, 2.1)
        for (r, _), cell in table.get_celld().items():
            cell.set_edgecolor(COLORS["grid"])
            if r == 0:
                cell.set_text_props(weight="bold")
        cfg = result.config
        ax.set_title(f"{cfg['n_train']:,} training / {cfg['n_test']:,} test images, {cfg['epochs']} epochs")
        ax.text(0.0, 0.02,
                f"λ-continuation probe: {len(probe['history']) - 1} outer iterations, "
                f"≈{probe['sweeps']} full-batch sweeps\n"
                f"on {probe['images']} images in {probe['seconds']:.0f} s (Adam: {cfg['epochs']} sweeps of "
                f"{cfg['n_train']:,} images\nin {result.table[0]['train_seconds']:.0f} s).",
                transform=ax.transAxes, fontsize=7.5, va="bottom")
    return fig
