"""``make bench``: speed and memory of the AutoencODE, as ratios against baselines in the same run.

Usage::

    .venv/bin/python bench/run.py                  # items 1-5 and 7 (a few minutes on 2 cores)
    .venv/bin/python bench/run.py --quick          # the same items, fewer repetitions (< 1 min)
    .venv/bin/python bench/run.py --end-to-end     # also item 6: make figures cold/warm, make test
    .venv/bin/python bench/run.py --update-md BENCHMARKS.md   # rewrite the table in BENCHMARKS.md

Every timing is the median over ``--reps`` repetitions after ``--warmup`` untimed calls; a
repetition runs the function enough times to last ``--min-time`` seconds and reports the time per
call. A benchmark and its baseline are measured in the same process, interleaved repetition by
repetition (rotating the order), so load from other processes hits both alike; the ratio is the
quotient of the medians. Peak memory is measured in a fresh subprocess per configuration
(``os.wait4`` resource usage of that child, i.e. the peak RSS of the largest process of its tree).

Writes ``bench/results/<date>-<commit>.json`` (or ``--out DIR``) and prints a table.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import torch

from autoencode_lib import AutoencODE, WidthProfile, adjoint_gradient, cost
from autoencode_lib.baselines import DenseMaskedAutoencODE, ResidualNetwork
from autoencode_lib.experiments.architecture import ARCHITECTURES
from autoencode_lib.training.methods import GradientFlow, Shooting
from autoencode_lib.training.problem import Problem

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PROFILE_NAMES = ("curve", "mixture", "mnist")
DEFAULT_THREADS = torch.get_num_threads()
MARK_BEGIN = "<!-- bench:table:begin -->"
MARK_END = "<!-- bench:table:end -->"

TARGETS = {
    "residual": 1.3,  # width-aware time / hand-written residual network time
    "adjoint": 1.5,  # adjoint gradient time / autograd time
    "figures_warm_s": 60.0,
    "test_s": 600.0,
}


# ---------------------------------------------------------------------------------------- timing
def compare(fns: dict[str, Callable[[], object]], reps: int, warmup: int, min_time: float) -> dict:
    """Median seconds per call of each function, measured interleaved (see the module docstring)."""
    for f in fns.values():
        for _ in range(warmup):
            f()
    inner = {}
    for name, f in fns.items():
        t0 = time.perf_counter()
        f()
        once = time.perf_counter() - t0
        inner[name] = max(1, min(2000, math.ceil(min_time / max(once, 1e-7))))
    names = list(fns)
    samples: dict[str, list[float]] = {n: [] for n in names}
    for r in range(reps):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            f, n = fns[name], inner[name]
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            samples[name].append((time.perf_counter() - t0) / n)
    out = {}
    for name in names:
        s = sorted(samples[name])
        out[name] = {
            "median_s": statistics.median(s),
            "min_s": s[0],
            "max_s": s[-1],
            "reps": reps,
            "calls_per_rep": inner[name],
        }
    return out


def build(name: str, dtype=torch.float32, factor: int = 1) -> AutoencODE:
    spec = ARCHITECTURES[name]
    profile = WidthProfile.from_blocks(spec["blocks"], horizon=spec["horizon"]).refine(factor)
    return AutoencODE(profile, dtype=dtype, seed=0)


def data(model: AutoencODE, batch: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(1)
    return torch.randn(batch, model.profile.dim, generator=gen, dtype=torch.float64).to(model.dtype)


def fwd_bwd(net: torch.nn.Module, x: torch.Tensor, **kwargs) -> Callable[[], object]:
    """One forward + backward of the fidelity (1/N) Σ ‖net(x) − x‖² w.r.t. the parameters."""
    params = [p for p in net.parameters() if p.requires_grad]

    def f():
        out = net(x, **kwargs)
        loss = ((out - x) ** 2).sum() / x.shape[0]
        return torch.autograd.grad(loss, params)

    return f


def flops_fwd_bwd(widths, batch: int) -> int:
    """Matrix-product FLOPs of forward + backward: 2Nw² (z = xWᵀ) + 2Nw² (∂W) + 2Nw² (∂x) per layer.

    Layer 0 gets no ∂x (the input needs no gradient). Elementwise work (tanh, adds) is not counted.
    """
    return sum(6 * batch * w * w for w in widths) - 2 * batch * widths[0] * widths[0]


# ---------------------------------------------------------------------------------------- items
def item_throughput(cfg, threads: int) -> list[dict]:
    """Item 1 (and 5): width-aware vs hand-written residual network vs dense masked d×d."""
    rows = []
    for name in cfg.profiles:
        model = build(name)
        x = data(model, cfg.batch)
        residual = ResidualNetwork.from_model(model)
        dense = DenseMaskedAutoencODE.from_model(model)
        with torch.no_grad():
            err = max(float((residual(x) - model(x)).abs().max()), float((dense(x) - model(x)).abs().max()))
        t = compare(
            {
                "width_aware": fwd_bwd(model, x),
                "residual": fwd_bwd(residual, x),
                "dense_masked": fwd_bwd(dense, x),
            },
            cfg.reps,
            cfg.warmup,
            cfg.min_time,
        )
        widths = model.profile.widths
        d, L = model.profile.dim, model.profile.steps
        sum_w2 = sum(w * w for w in widths)
        flops = flops_fwd_bwd(widths, cfg.batch)
        dense_flops = flops_fwd_bwd([d] * L, cfg.batch)
        aware = t["width_aware"]["median_s"]
        rows.append(
            {
                "profile": name,
                "threads": threads,
                "batch": cfg.batch,
                "dtype": "float32",
                "blocks": ARCHITECTURES[name]["blocks"],
                "dim": d,
                "steps": L,
                "parameters": model.num_parameters(),
                "sum_w2": sum_w2,
                "sum_d2": d * d * L,
                "expected_dense_ratio": d * d * L / sum_w2,
                "max_abs_diff_vs_baselines": err,
                "times": t,
                "samples_per_s": cfg.batch / aware,
                "ratio_vs_residual": aware / t["residual"]["median_s"],
                "dense_speedup": t["dense_masked"]["median_s"] / aware,
                "flops": flops,
                "gflops_per_s": flops / aware / 1e9,
                "dense_flops": dense_flops,
                "dense_gflops_per_s": dense_flops / t["dense_masked"]["median_s"] / 1e9,
                "residual_gflops_per_s": flops / t["residual"]["median_s"] / 1e9,
            }
        )
    return rows


def item_gradient(cfg, threads: int) -> list[dict]:
    """Item 2: the explicit adjoint of SPEC §3 vs torch autograd of J on the same model."""
    rows = []
    lam = 1e-3
    for name in cfg.profiles:
        model = build(name)
        x = data(model, cfg.batch)
        params = list(model.parameters())

        def autograd(model=model, x=x, params=params):
            return torch.autograd.grad(cost(model, x, x, lam).total, params)

        def adjoint(model=model, x=x):
            return adjoint_gradient(model, x, x, lam)

        err = max(float((a - b).abs().max()) for a, b in zip(adjoint(), autograd(), strict=True))
        t = compare({"adjoint": adjoint, "autograd": autograd}, cfg.reps, cfg.warmup, cfg.min_time)
        rows.append(
            {
                "profile": name,
                "threads": threads,
                "batch": cfg.batch,
                "times": t,
                "max_abs_diff": err,
                "ratio": t["adjoint"]["median_s"] / t["autograd"]["median_s"],
            }
        )
    return rows


def item_shooting(cfg, threads: int) -> list[dict]:
    """Item 3: one shooting iteration vs one gradient-flow step (both: forward, costate, update)."""
    rows = []
    for name in cfg.profiles:
        model = build(name)
        x = data(model, cfg.batch)
        gf = GradientFlow(Problem(model, x, None, 1e-2), step_size=1e-3)
        gf_point = gf.start()
        sh = Shooting(Problem(model, x, None, 1e-2), relaxation=0.25)
        sh_point = sh.start()
        t = compare(
            {
                "shooting": lambda sh=sh, p=sh_point: sh.step(p),
                "gradient_step": lambda gf=gf, p=gf_point: gf.step(p),
            },
            cfg.reps,
            cfg.warmup,
            cfg.min_time,
        )
        rows.append(
            {
                "profile": name,
                "threads": threads,
                "batch": cfg.batch,
                "times": t,
                "ratio": t["shooting"]["median_s"] / t["gradient_step"]["median_s"],
            }
        )
    return rows


def item_solvers(cfg, threads: int) -> list[dict]:
    """Item 4: the library's Euler loop vs torchdiffeq odeint (euler, rk4) on the aligned grid."""
    rows = []
    for name in cfg.profiles:
        model = build(name)
        x = data(model, cfg.batch)
        with torch.no_grad():
            err = float((model(x, solver="euler") - model(x)).abs().max())
        t = compare(
            {
                "euler_loop": fwd_bwd(model, x),
                "odeint_euler": fwd_bwd(model, x, solver="euler"),
                "odeint_rk4": fwd_bwd(model, x, solver="rk4"),
            },
            cfg.reps,
            cfg.warmup,
            cfg.min_time,
        )
        loop = t["euler_loop"]["median_s"]
        rows.append(
            {
                "profile": name,
                "threads": threads,
                "batch": cfg.batch,
                "times": t,
                "max_abs_diff_euler": err,
                "ratio_odeint_euler": t["odeint_euler"]["median_s"] / loop,
                "ratio_odeint_rk4": t["odeint_rk4"]["median_s"] / loop,
            }
        )
    return rows


def item_matmul(cfg, threads: int) -> dict:
    """Item 5: the machine's practical peak, a large float32 matrix product (2n³ FLOPs)."""
    n = cfg.matmul_n
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=gen)
    b = torch.randn(n, n, generator=gen)
    t = compare({"matmul": lambda: a @ b}, cfg.reps, cfg.warmup, cfg.min_time)
    return {
        "threads": threads,
        "n": n,
        "flops": 2 * n**3,
        "times": t,
        "gflops_per_s": 2 * n**3 / t["matmul"]["median_s"] / 1e9,
    }


def op_profile(fn: Callable[[], object], calls: int, top: int = 12) -> dict:
    """torch.profiler of ``calls`` calls: total wall time, op count, and the top ops by self CPU time."""
    from torch.profiler import ProfilerActivity, profile

    fn()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        wall = time.perf_counter() - t0
    events = prof.key_averages()
    rows = sorted(events, key=lambda e: e.self_cpu_time_total, reverse=True)
    return {
        "calls": calls,
        "wall_per_call_s": wall / calls,
        "ops_per_call": sum(e.count for e in events) / calls,
        "self_cpu_per_call_s": sum(e.self_cpu_time_total for e in events) / 1e6 / calls,
        "top": [
            {
                "op": e.key,
                "count_per_call": e.count / calls,
                "self_cpu_per_call_s": e.self_cpu_time_total / 1e6 / calls,
            }
            for e in rows[:top]
        ],
    }


def item_op_profiles(cfg, threads: int) -> list[dict]:
    """Operator profiles behind the ratios of items 1 and 2 (for the notes on missed targets)."""
    rows = []
    for name in cfg.profiles:
        model = build(name)
        x = data(model, cfg.batch)
        calls = 2 if cfg.quick else (3 if name == "mnist" else 20)
        fns = {
            "width_aware": fwd_bwd(model, x),
            "residual": fwd_bwd(ResidualNetwork.from_model(model), x),
            "dense_masked": fwd_bwd(DenseMaskedAutoencODE.from_model(model), x),
            "adjoint": lambda model=model, x=x: adjoint_gradient(model, x, x, 1e-3),
        }
        for label, fn in fns.items():
            rows.append({"profile": name, "threads": threads, "variant": label, **op_profile(fn, calls)})
    return rows


# ---------------------------------------------------------------------------------------- memory
def memory_child(spec: dict) -> None:
    """Run in a subprocess: train the MNIST model a few iterations; print peak RSS (kB) as JSON.

    On Linux the peak-RSS counter (VmHWM) is reset just before training (``/proc/self/clear_refs``),
    so ``peak_kb`` is the high-water mark of the training itself, not of ``import torch``; ``before_kb``
    is the resident size at that moment (interpreter, torch, model, data).
    """
    from autoencode_lib.training import train

    torch.set_num_threads(spec.get("threads", DEFAULT_THREADS))
    model = build(spec.get("model", "mnist"), factor=spec["factor"])
    x = torch.rand(spec["batch"], model.profile.dim, generator=torch.Generator().manual_seed(0))
    options = {"step_size": 1e-3} if spec["method"] == "gradient_flow" else {"lr": 1e-3}
    train(
        model,
        x[:2],
        lam=1e-4,
        method=spec["method"],
        iterations=1,
        progress=False,
        on_divergence="stop",
        **options,
    )  # import and first-call costs, outside the measurement
    reset = _reset_peak()
    before = _proc_status_kb("VmRSS") if reset else maxrss_kb(resource.getrusage(resource.RUSAGE_SELF))
    t0 = time.perf_counter()
    train(
        model,
        x,
        lam=1e-4,
        method=spec["method"],
        iterations=spec["iterations"],
        progress=False,
        on_divergence="stop",
        **options,
    )
    wall = time.perf_counter() - t0
    peak = _proc_status_kb("VmHWM") if reset else maxrss_kb(resource.getrusage(resource.RUSAGE_SELF))
    print(json.dumps({"before_kb": before, "peak_kb": peak, "wall_s": wall, "peak_reset": reset}))


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _proc_status_kb("VmHWM") is not None


def _proc_status_kb(key: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def maxrss_kb(usage) -> int:
    return int(usage.ru_maxrss // 1024) if sys.platform == "darwin" else int(usage.ru_maxrss)


def run_measured(cmd, cwd, env, log: Path, timeout: float | None = None) -> dict:
    """Run ``cmd`` (output to ``log``); wall time, exit code and peak RSS (kB) of its largest process.

    ``os.wait4`` returns the resource usage of that child including its reaped descendants; for
    ``ru_maxrss`` that is the maximum over the processes of the tree, not their sum.
    """
    t0 = time.perf_counter()
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
        timer = threading.Timer(timeout, os.killpg, (proc.pid, signal.SIGKILL)) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        if timer:
            timer.cancel()
    proc.returncode = rc = os.waitstatus_to_exitcode(status)
    return {
        "cmd": " ".join(map(str, cmd)),
        "rc": rc,
        "wall_s": time.perf_counter() - t0,
        "peak_rss_kb": maxrss_kb(usage),
        "timed_out": rc == -signal.SIGKILL,
    }


def spawn_child(spec: dict) -> dict:
    """Peak memory of one configuration in a fresh process (reaped with wait4: its own rusage)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-child", json.dumps(spec)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout = proc.stdout.read()
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"memory child {spec} failed:\n{stderr.decode(errors='replace')[-2000:]}")
    child = json.loads(stdout.decode().strip().splitlines()[-1])
    return {
        **spec,
        **child,
        "wait4_peak_kb": maxrss_kb(usage),
        "delta_kb": child["peak_kb"] - child["before_kb"],
        "process_wall_s": time.perf_counter() - t0,
    }


def linear_slope(xs, ys) -> float:
    if len(xs) < 2:
        return float("nan")
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((a - mx) * (b - my) for a, b in zip(xs, ys, strict=True)) / sum((a - mx) ** 2 for a in xs)


def item_memory(cfg) -> dict:
    """Item 7: peak RSS of training the MNIST model vs batch size and depth, per gradient method."""
    base = build(cfg.memory_model)
    sum_w = sum(base.profile.widths)
    out = {
        "model": cfg.memory_model,
        "iterations": cfg.memory_iterations,
        "sum_w": sum_w,
        "runs": [],
        "fits": {},
    }
    done: dict[tuple, dict] = {}

    def measure(method: str, batch: int, factor: int) -> dict:
        key = (method, batch, factor)
        if key not in done:
            done[key] = spawn_child(
                {
                    "model": cfg.memory_model,
                    "method": method,
                    "batch": batch,
                    "factor": factor,
                    "iterations": cfg.memory_iterations,
                }
            )
            out["runs"].append(done[key])
        return done[key]

    depth_batch = cfg.batch if cfg.batch in cfg.memory_batches else cfg.memory_batches[0]
    out["depth_batch"] = depth_batch
    for method in cfg.memory_methods:
        by_batch = [measure(method, b, 1) for b in cfg.memory_batches]
        by_depth = [measure(method, depth_batch, f) for f in cfg.depth_factors]
        per_sample = linear_slope([r["batch"] for r in by_batch], [r["delta_kb"] * 1024 for r in by_batch])
        per_factor = linear_slope([r["factor"] for r in by_depth], [r["delta_kb"] * 1024 for r in by_depth])
        xs, ys = [r["batch"] for r in by_batch], [r["delta_kb"] * 1024 for r in by_batch]
        out["fits"][method] = {
            "bytes_per_sample": per_sample,
            "intercept_bytes": statistics.fmean(ys) - per_sample * statistics.fmean(xs)
            if len(xs) > 1
            else None,
            # in units of one float32 per active coordinate per layer: Σ_k w_k · 4 bytes per sample
            "floats_per_active_coordinate": per_sample / (4 * sum_w),
            "bytes_per_depth_factor": per_factor,
            "floats_per_active_coordinate_depth": per_factor / (4 * sum_w * depth_batch),
        }
    return out


# ---------------------------------------------------------------------------------------- end to end
def snapshot_clone(dest: Path) -> str:
    """``git clone`` of this repository, then the working tree's files on top (tracked + untracked,
    not ignored), so uncommitted work is measured too. Returns a description of the source."""
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(dest)], check=True)
    files = (
        subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
        )
        .stdout.decode()
        .split("\0")
    )
    deleted = set(
        subprocess.run(["git", "ls-files", "-d", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for rel in files:
        if not rel or rel in deleted:
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    for rel in deleted:
        if rel:
            (dest / rel).unlink(missing_ok=True)
    dirty = bool(
        subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    )
    return "git clone + working-tree snapshot (uncommitted changes included)" if dirty else "git clone"


def item_end_to_end(cfg) -> dict:
    """Item 6: make figures cold (empty cache) and warm, make test, in a fresh clone."""
    tmp = Path(tempfile.mkdtemp(prefix="autoencode-bench-"))
    repo = tmp / "repo"
    cache = tmp / "cache"
    cache.mkdir()
    source = snapshot_clone(repo)
    venv = Path(cfg.venv).resolve()
    env = {**os.environ, "AUTOENCODE_CACHE_DIR": str(cache), "PYTHONPATH": str(repo)}
    env.pop("MAKEFLAGS", None)
    env.pop("MAKELEVEL", None)
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import autoencode_lib; print(autoencode_lib.__file__)"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not where.startswith(str(repo)):
        raise RuntimeError(f"the clone imports autoencode_lib from {where}, not from {repo}")
    make = ["make", f"VENV={venv}"]
    steps = {}
    for key, target in (("figures_cold", "figures"), ("figures_warm", "figures"), ("test", "test")):
        r = run_measured(make + [target], cwd=repo, env=env, log=tmp / f"{key}.log", timeout=cfg.e2e_timeout)
        r["log"] = str(tmp / f"{key}.log")
        steps[key] = r
        print(
            f"  end-to-end {key}: rc={r['rc']} {r['wall_s']:.1f} s, peak {r['peak_rss_kb'] / 1024:.0f} MiB",
            flush=True,
        )
    notebooks = sorted(p.name for p in (repo / "notebooks").glob("[0-9][0-9]_*.py"))
    return {
        "source": source,
        "clone": str(repo),
        "venv": str(venv),
        "notebooks": notebooks,
        "install": "skipped: the existing venv is reused (VENV=...), its install stamp matches",
        "steps": steps,
    }


# ---------------------------------------------------------------------------------------- report
def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return {
        "cpu": cpu,
        "logical_cores": os.cpu_count(),
        "memory_gib": mem,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_default_threads": DEFAULT_THREADS,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "loadavg_start": os.getloadavg(),
    }


def git_commit() -> tuple[str, bool]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        return "nocommit", False
    return commit, dirty


def fmt_t(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**missed**")


def table(res: dict) -> str:
    """The Markdown table of a result dict (also printed)."""
    m = res["machine"]
    lines = [
        f"Run {res['date']} at commit `{res['commit']}`{' (dirty tree)' if res['dirty'] else ''}, "
        f"mode `{res['mode']}`: {m['cpu']}, {m['logical_cores']} logical cores, {m['memory_gib']} GiB, "
        f"torch {m['torch']} (default {m['torch_default_threads']} threads), Python {m['python']}. "
        f"Load average (1 min) at start {m['loadavg_start'][0]:.2f}, at end {res['loadavg_end'][0]:.2f}. "
        f"Times: median of {res['config']['reps']} repetitions after {res['config']['warmup']} "
        "warm-up calls; "
        f"float32, batch {res['config']['batch']}.",
        "",
        "| # | benchmark | profile | threads | measured | baseline | ratio | target | |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    add = lines.append
    for r in res["throughput"]:
        t = r["times"]
        add(
            f"| 1a | fwd+bwd: width-aware vs hand-written residual net | {r['profile']} | {r['threads']} | "
            f"{fmt_t(t['width_aware']['median_s'])} ({r['samples_per_s']:,.0f} samples/s) | "
            f"{fmt_t(t['residual']['median_s'])} | {r['ratio_vs_residual']:.2f}× | ≤ 1.3× | "
            f"{verdict(r['ratio_vs_residual'] <= TARGETS['residual'])} |"
        )
        add(
            f"| 1b | fwd+bwd: dense masked d×d / width-aware (speed-up) | {r['profile']} | {r['threads']} | "
            f"{fmt_t(t['width_aware']['median_s'])} | {fmt_t(t['dense_masked']['median_s'])} | "
            f"{r['dense_speedup']:.2f}× | ≈ Σd²/Σw² = {r['expected_dense_ratio']:.2f}× | "
            f"{verdict(r['dense_speedup'] >= r['expected_dense_ratio'] / TARGETS['residual'])} |"
        )
    for r in res["gradient"]:
        t = r["times"]
        add(
            f"| 2 | gradient: explicit adjoint vs autograd | {r['profile']} | {r['threads']} | "
            f"{fmt_t(t['adjoint']['median_s'])} | {fmt_t(t['autograd']['median_s'])} | {r['ratio']:.2f}× | "
            f"≤ 1.5× | {verdict(r['ratio'] <= TARGETS['adjoint'])} |"
        )
    for r in res["shooting"]:
        t = r["times"]
        add(
            f"| 3 | one shooting iteration vs one gradient step | {r['profile']} | {r['threads']} | "
            f"{fmt_t(t['shooting']['median_s'])} | {fmt_t(t['gradient_step']['median_s'])} | "
            f"{r['ratio']:.2f}× | — | |"
        )
    for r in res["solvers"]:
        t = r["times"]
        add(
            f"| 4 | fwd+bwd: torchdiffeq odeint euler vs Euler loop | {r['profile']} | {r['threads']} | "
            f"{fmt_t(t['odeint_euler']['median_s'])} | {fmt_t(t['euler_loop']['median_s'])} | "
            f"{r['ratio_odeint_euler']:.2f}× | — | |"
        )
        add(
            f"| 4 | fwd+bwd: torchdiffeq odeint rk4 vs Euler loop | {r['profile']} | {r['threads']} | "
            f"{fmt_t(t['odeint_rk4']['median_s'])} | {fmt_t(t['euler_loop']['median_s'])} | "
            f"{r['ratio_odeint_rk4']:.2f}× | — | |"
        )
    peaks = {p["threads"]: p for p in res["matmul"]}
    for r in res["throughput"]:
        p = peaks[r["threads"]]
        add(
            f"| 5 | attained GFLOP/s of 1a (width-aware; {r['flops'] / 1e6:.3g} MFLOP per call) vs "
            f"{p['n']}² matmul | {r['profile']} | {r['threads']} | {r['gflops_per_s']:.2f} GFLOP/s | "
            f"{p['gflops_per_s']:.1f} GFLOP/s | {r['gflops_per_s'] / p['gflops_per_s']:.1%} | — | |"
        )
        add(
            f"| 5 | attained GFLOP/s of the dense masked baseline ({r['dense_flops'] / 1e6:.3g} MFLOP) "
            f"| {r['profile']} | {r['threads']} | {r['dense_gflops_per_s']:.2f} GFLOP/s | "
            f"{p['gflops_per_s']:.1f} GFLOP/s | {r['dense_gflops_per_s'] / p['gflops_per_s']:.1%} | — | |"
        )
    e2e = res.get("end_to_end")
    if e2e:
        s = e2e["steps"]
        for key, label, target in (
            ("figures_cold", "`make figures` cold (empty cache)", None),
            ("figures_warm", "`make figures` warm", TARGETS["figures_warm_s"]),
            ("test", "`make test` (install skipped, venv reused)", TARGETS["test_s"]),
        ):
            r = s[key]
            ok = None if target is None else (r["rc"] == 0 and r["wall_s"] < target)
            add(
                f"| 6 | {label}{'' if r['rc'] == 0 else ' — exit code ' + str(r['rc'])} | all | "
                f"{DEFAULT_THREADS} | {r['wall_s']:.1f} s, peak RSS {r['peak_rss_kb'] / 1024:.0f} MiB "
                "| — | — | "
                f"{'—' if target is None else f'< {target:.0f} s'} | {verdict(ok)} |"
            )
    else:
        add(
            "| 6 | `make figures` cold/warm, `make test` | — | — | not run (needs `--end-to-end`, "
            "i.e. `make bench FULL=1`) | — | — | < 60 s warm; < 10 min | — |"
        )
    mem = res["memory"]
    for r in mem["runs"]:
        add(
            f"| 7 | peak RSS, training {mem['model']} ({r['method']}, {mem['iterations']} it.) "
            f"| {mem['model']} ×{r['factor']} depth "
            f"| {DEFAULT_THREADS} | batch {r['batch']}: {r['peak_kb'] / 1024:.0f} MiB "
            f"(+{r['delta_kb'] / 1024:.0f} MiB over the idle process) "
            f"| idle: {r['before_kb'] / 1024:.0f} MiB | "
            f"{r['peak_kb'] / max(r['before_kb'], 1):.2f}× | — | |"
        )
    for method, f in mem["fits"].items():
        add(
            f"| 7 | memory growth ({method}) | {mem['model']} | — "
            f"| {f['bytes_per_sample'] / 1024:.1f} KiB per sample; "
            f"{f['bytes_per_depth_factor'] / 2**20:.1f} MiB per extra ×1 depth "
            f"at batch {mem['depth_batch']} "
            f"| one float32 per active coordinate per layer: {4 * mem['sum_w'] / 1024:.1f} KiB per sample | "
            f"{f['floats_per_active_coordinate']:.1f}× "
            f"(depth: {f['floats_per_active_coordinate_depth']:.1f}×) "
            f"| — | |"
        )
    return "\n".join(lines)


def op_table(res: dict) -> str:
    """Compact view of the operator profiles (``--op-profile``)."""
    lines = [
        "| profile | threads | variant | wall per call | ops per call | top self-CPU ops (per call) |",
        "|---|---|---|---|---|---|",
    ]
    for r in res.get("op_profiles", []):
        top = "; ".join(
            f"{o['op']} {fmt_t(o['self_cpu_per_call_s'])} ×{o['count_per_call']:g}" for o in r["top"][:4]
        )
        lines.append(
            f"| {r['profile']} | {r['threads']} | {r['variant']} | {fmt_t(r['wall_per_call_s'])} "
            f"| {r['ops_per_call']:.0f} | {top} |"
        )
    return "\n".join(lines)


def update_markdown(path: Path, text: str) -> None:
    body = path.read_text() if path.exists() else f"# Benchmarks\n\n{MARK_BEGIN}\n{MARK_END}\n"
    if MARK_BEGIN not in body or MARK_END not in body:
        body += f"\n{MARK_BEGIN}\n{MARK_END}\n"
    head, rest = body.split(MARK_BEGIN, 1)
    _, tail = rest.split(MARK_END, 1)
    path.write_text(f"{head}{MARK_BEGIN}\n{text}\n{MARK_END}{tail}")


# ---------------------------------------------------------------------------------------- main
class Config(argparse.Namespace):
    pass


def parse(argv=None) -> Config:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer repetitions, smaller sizes (< 1 min)")
    p.add_argument("--end-to-end", action="store_true", help="also item 6 (make figures / make test)")
    p.add_argument("--reps", type=int, help="repetitions per timing (default 7; quick 3)")
    p.add_argument("--warmup", type=int, help="untimed calls first (default 3; quick 1)")
    p.add_argument("--min-time", type=float, help="seconds per repetition (default 0.1; quick 0.02)")
    p.add_argument(
        "--threads", help="comma-separated torch thread counts (default '1,<default>'; quick: default)"
    )
    p.add_argument(
        "--profiles", default=",".join(PROFILE_NAMES), help="comma-separated, of curve,mixture,mnist"
    )
    p.add_argument("--batch", type=int, help="batch size of items 1-5 (default 256; quick 64)")
    p.add_argument("--matmul-n", type=int, help="size of the peak matmul (default 2048; quick 512)")
    p.add_argument("--memory-batches", help="comma-separated (default 64,256,1024,4096; quick 32,128)")
    p.add_argument("--depth-factors", help="comma-separated refinement factors (default 1,2,4; quick 1,2)")
    p.add_argument(
        "--memory-iterations", type=int, help="training iterations per memory run (default 3; quick 1)"
    )
    p.add_argument(
        "--memory-methods",
        default=None,
        help="trainers for item 7: gradient_flow (adjoint gradient), adam (autograd); quick: gradient_flow",
    )
    p.add_argument("--venv", default=str(ROOT / ".venv"), help="venv reused by the end-to-end clone")
    p.add_argument("--e2e-timeout", type=float, default=1800.0, help="seconds per end-to-end command")
    p.add_argument("--out", default=str(RESULTS), help="folder for <date>-<commit>.json")
    p.add_argument("--update-md", help="rewrite the table between the bench markers of this Markdown file")
    p.add_argument("--memory-model", default="mnist", choices=PROFILE_NAMES, help="model of item 7")
    p.add_argument("--op-profile", action="store_true", help="also record torch.profiler op tables")
    p.add_argument("--memory-child", help=argparse.SUPPRESS)
    cfg = p.parse_args(argv, namespace=Config())
    q = cfg.quick
    ints = lambda s: [int(v) for v in s.split(",") if v]  # noqa: E731
    cfg.reps = cfg.reps or (3 if q else 7)
    cfg.warmup = (1 if q else 3) if cfg.warmup is None else cfg.warmup
    cfg.min_time = (0.01 if q else 0.1) if cfg.min_time is None else cfg.min_time
    cfg.batch = cfg.batch or (64 if q else 256)
    cfg.threads = (
        ints(cfg.threads) if cfg.threads else ([DEFAULT_THREADS] if q else sorted({1, DEFAULT_THREADS}))
    )
    cfg.profiles = [s for s in cfg.profiles.split(",") if s]
    unknown = set(cfg.profiles) - set(PROFILE_NAMES)
    if unknown:
        p.error(f"unknown profile(s) {sorted(unknown)}; choose from {PROFILE_NAMES}")
    cfg.matmul_n = cfg.matmul_n or (512 if q else 2048)
    cfg.memory_batches = ints(cfg.memory_batches or ("32,128" if q else "64,256,1024,4096"))
    cfg.depth_factors = ints(cfg.depth_factors or ("1,2" if q else "1,2,4"))
    cfg.memory_iterations = cfg.memory_iterations or (1 if q else 3)
    methods = cfg.memory_methods or ("gradient_flow" if q else "gradient_flow,adam")
    cfg.memory_methods = [s for s in methods.split(",") if s]
    cfg.mode = "quick" if q else "full"
    return cfg


def main(argv=None) -> dict:
    cfg = parse(argv)
    if cfg.memory_child:
        memory_child(json.loads(cfg.memory_child))
        return {}
    commit, dirty = git_commit()
    now = _dt.datetime.now(_dt.UTC)
    res = {
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "dirty": dirty,
        "mode": cfg.mode,
        "machine": machine(),
        "config": {k: v for k, v in vars(cfg).items() if k not in ("update_md", "memory_child")},
        "throughput": [],
        "gradient": [],
        "shooting": [],
        "solvers": [],
        "matmul": [],
    }
    t0 = time.perf_counter()
    res["item_wall_s"] = {}

    def timed(key: str, fn, *args):
        t = time.perf_counter()
        value = fn(*args)
        res["item_wall_s"][key] = res["item_wall_s"].get(key, 0.0) + time.perf_counter() - t
        print(f"[bench]   {key}: {time.perf_counter() - t:.1f} s", flush=True)
        return value

    for threads in cfg.threads:
        torch.set_num_threads(threads)
        print(f"[bench] {threads} thread(s): throughput, gradient, shooting, solvers, matmul", flush=True)
        res["throughput"] += timed("throughput", item_throughput, cfg, threads)
        res["gradient"] += timed("gradient", item_gradient, cfg, threads)
        res["shooting"] += timed("shooting", item_shooting, cfg, threads)
        res["solvers"] += timed("solvers", item_solvers, cfg, threads)
        res["matmul"].append(timed("matmul", item_matmul, cfg, threads))
        if cfg.op_profile:
            res.setdefault("op_profiles", []).extend(timed("op_profile", item_op_profiles, cfg, threads))
    torch.set_num_threads(DEFAULT_THREADS)
    print("[bench] memory (one subprocess per configuration)", flush=True)
    res["memory"] = timed("memory", item_memory, cfg)
    if cfg.end_to_end:
        print("[bench] end to end in a fresh clone (make figures cold, warm; make test)", flush=True)
        res["end_to_end"] = timed("end_to_end", item_end_to_end, cfg)
    res["loadavg_end"] = os.getloadavg()
    res["bench_wall_s"] = time.perf_counter() - t0
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{now.strftime('%Y%m%d-%H%M%S')}-{commit}{'-dirty' if dirty else ''}-{cfg.mode}.json"
    path.write_text(json.dumps(res, indent=1, default=str) + "\n")
    text = table(res)
    if res.get("op_profiles"):
        text += "\n\nOperator profiles (torch.profiler, `--op-profile`):\n\n" + op_table(res)
    print(text)
    print(f"\n[bench] {res['bench_wall_s']:.1f} s; results in {path}")
    if cfg.update_md:
        update_markdown(Path(cfg.update_md), text)
        print(f"[bench] table written into {cfg.update_md}")
    res["path"] = str(path)
    return res


if __name__ == "__main__":
    main()
