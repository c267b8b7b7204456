"""The benchmark baselines compute the AutoencODE, and ``bench/run.py --quick`` runs.

No timing is asserted here: timings belong in ``make bench`` (BENCHMARKS.md), never in unit tests.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import random_model

from autoencode_lib.baselines import DenseMaskedAutoencODE, ResidualNetwork

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = [(4, 3), (2, 2), (1, 3), (3, 2), (4, 3)]
NON_V = [(2, 2), (4, 2), (1, 1), (3, 2)]  # a width-varying network that is not an autoencoder


def _grads(net, x):
    params = list(net.parameters())
    loss = ((net(x) - x) ** 2).sum() / x.shape[0]
    return torch.autograd.grad(loss, params)


@pytest.mark.parametrize("blocks", [BLOCKS, NON_V])
@pytest.mark.parametrize("activation", ["tanh", "softplus"])
def test_residual_network_is_the_autoencode(blocks, activation):
    model = random_model(blocks, activation=activation, seed=1, dim=4)
    net = ResidualNetwork.from_model(model)
    x = torch.randn(7, 4, dtype=torch.float64)
    torch.testing.assert_close(net(x), model(x), rtol=0, atol=1e-14)
    for g_net, g_model in zip(_grads(net, x), _grads(model, x), strict=True):
        torch.testing.assert_close(g_net, g_model, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("blocks", [BLOCKS, NON_V])
@pytest.mark.parametrize("inactive", ["reset", "freeze"])
@pytest.mark.parametrize("activation", ["tanh", "softplus"])
def test_dense_masked_is_the_autoencode(blocks, inactive, activation):
    model = random_model(blocks, activation=activation, inactive=inactive, seed=2, dim=4)
    net = DenseMaskedAutoencODE.from_model(model)
    x = torch.randn(7, 4, dtype=torch.float64)
    torch.testing.assert_close(net(x), model(x), rtol=1e-13, atol=1e-13)
    dense = _grads(net, x)
    width = _grads(model, x)
    for k, W in enumerate(model.controls()):
        w = W[0].shape[0]
        gW, gb = dense[k], dense[len(model.layers) + k]  # ParameterList order: all weights, then biases
        torch.testing.assert_close(gW[:w, :w], width[2 * k], rtol=1e-12, atol=1e-13)
        torch.testing.assert_close(gb[:w], width[2 * k + 1], rtol=1e-12, atol=1e-13)
        # entries outside the active block do not influence anything
        outside = torch.ones_like(gW, dtype=torch.bool)
        outside[:w, :w] = False
        if w < gW.shape[0]:
            assert float(gW[outside].abs().max()) == 0.0
        assert float(gb[w:].abs().sum()) == 0.0


def test_residual_network_rejects_the_leak_variant():
    with pytest.raises(ValueError, match="reset"):
        ResidualNetwork.from_model(random_model(BLOCKS, inactive="freeze"))


def test_quick_benchmark_runs(tmp_path):
    """The benchmark code runs end to end on a tiny configuration and writes its JSON and table."""
    md = tmp_path / "BENCH.md"
    md.write_text("# B\n\nbefore\n<!-- bench:table:begin -->\nOLD-TABLE\n<!-- bench:table:end -->\nafter\n")
    cmd = [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--reps", "1", "--warmup", "0",
           "--min-time", "0", "--profiles", "curve", "--batch", "8", "--matmul-n", "32",
           "--memory-model", "curve", "--memory-batches", "8", "--depth-factors", "1",
           "--threads", "1", "--op-profile",
           "--out", str(tmp_path), "--update-md", str(md)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    files = list(tmp_path.glob("*.json"))
    assert len(files) == 1
    res = json.loads(files[0].read_text())
    assert res["mode"] == "quick" and res["machine"]["logical_cores"] >= 1
    assert {"throughput", "gradient", "shooting", "solvers", "matmul", "memory"} <= set(res)
    row = res["throughput"][0]
    assert row["profile"] == "curve" and row["threads"] == 1
    assert set(row["times"]) == {"width_aware", "residual", "dense_masked"}
    assert row["max_abs_diff_vs_baselines"] < 1e-5
    assert row["ratio_vs_residual"] > 0 and row["flops"] > 0
    assert res["gradient"][0]["max_abs_diff"] < 1e-4
    assert res["solvers"][0]["max_abs_diff_euler"] < 1e-5
    assert [r["batch"] for r in res["memory"]["runs"]] == [8]
    assert all(r["peak_kb"] > 0 for r in res["memory"]["runs"])
    variants = {r["variant"] for r in res["op_profiles"]}
    assert variants == {"width_aware", "residual", "dense_masked", "adjoint"}
    assert "| 1a |" in proc.stdout and "| 7 |" in proc.stdout
    text = md.read_text()
    assert "OLD-TABLE" not in text and "| 1a |" in text
    assert text.startswith("# B\n\nbefore\n") and text.endswith("after\n")
