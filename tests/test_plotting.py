"""Plot functions on small data: they draw what they should and save reproducible files."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from autoencode_lib import plotting
from autoencode_lib.experiments import architecture, curve


@pytest.fixture(scope="module")
def summaries():
    return architecture.run("smoke").models


def test_width_profiles_figure_has_one_map_per_model(summaries):
    fig = plotting.width_profiles_figure(summaries)
    assert isinstance(fig, Figure)
    axes = fig.axes
    assert len(axes) == len(summaries)
    for ax, summary in zip(axes, summaries.values(), strict=True):
        mesh = ax.collections[0]
        values = np.asarray(mesh.get_array()).reshape(summary.dim, len(summary.widths))
        assert np.array_equal(values.T.astype(bool), summary.mask)  # the map is the active mask
        assert summary.label in ax.get_title()
    assert axes[-1].get_yscale() == "log"  # MNIST: 784 coordinates on a log axis
    assert axes[0].get_yscale() == "linear"


def _fake_curve_result(n=12, steps=6):
    rng = np.random.default_rng(0)
    s = np.sort(rng.uniform(-1, 1, n))
    x = np.stack([s, 0.5 * np.sin(np.pi * s)], axis=1)
    traj = np.repeat(x[None], steps + 1, axis=0).copy()
    traj[2:4, :, 1] = 0.0
    hist = [{"iteration": k, "total": 1.0 / (k + 1), "fidelity": 0.5 / (k + 1), "lam": 1.0 if k < 3 else 1e-3}
            for k in range(5)]
    return curve.CurveResult(
        config={"lam": 1e-3}, x=x, s=s, trajectory=traj, times=np.linspace(0, 3, steps + 1),
        bottleneck_index=3, latent=s.copy(), reconstruction=x + 0.01, history=hist,
        status="max_iterations", message="", train_seconds=0.0, cache_key=None, cache_hit=False,
    )


def test_curve_figure_panels():
    result = _fake_curve_result()
    fig = plotting.curve_figure(result)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(fig.axes) == 9
    assert sum("bottleneck" in t for t in titles) == 1
    assert any(t.startswith("reconstruction (MSE 2.00e-04") for t in titles)
    assert any("λ = 0.001" in t for t in titles)
    bottleneck_ax = fig.axes[[i for i, t in enumerate(titles) if "bottleneck" in t][0]]
    points = bottleneck_ax.collections[0].get_offsets()
    assert np.allclose(np.asarray(points)[:, 1], 0.0)  # snapshot drawn at the bottleneck state


def test_order_agreement():
    s = np.array([0.0, 1.0, 2.0, 3.0])
    assert curve.order_agreement(s * 2 + 1, s) == 1.0
    assert curve.order_agreement(-s, s) == 1.0  # a global flip is the same order
    assert curve.order_agreement(np.array([0.0, 2.0, 1.0, 3.0]), s) == pytest.approx(5 / 6)
    with pytest.raises(ValueError):
        curve.order_agreement(np.zeros(3), np.zeros(4))


def test_save_figure_writes_png_and_pdf_reproducibly(tmp_path, summaries):
    fig = plotting.width_profiles_figure({k: summaries[k] for k in ("neurode", "curve")})
    paths = plotting.save_figure(fig, tmp_path / "a", "fig")
    assert [p.suffix for p in paths] == [".png", ".pdf"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and paths[1].read_bytes()[:5] == b"%PDF-"
    again = plotting.save_figure(fig, tmp_path / "b", "fig")
    for p, q in zip(paths, again, strict=True):
        assert p.read_bytes() == q.read_bytes(), f"{p.suffix} output is not reproducible"
    assert not list(tmp_path.rglob("*.tmp*"))
