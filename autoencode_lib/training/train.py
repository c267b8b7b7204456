"""``train``: one interface for every trainer of SPEC §4 (history, progress bar, divergence)."""

from __future__ import annotations

import inspect
import math
import time
from typing import Any

import torch
from tqdm.auto import tqdm

from ..cost import check_lam
from ..model import AutoencODE
from ..seeding import seed_everything
from .methods import STEPPERS, Continuation, Point
from .problem import Problem
from .result import NonFiniteData, TrainingDiverged, TrainingResult

__all__ = ["train", "METHODS"]

METHODS = tuple(STEPPERS)
SMALL_WIDTH = 64  # layers at most this wide train on one thread by default (see ``train``)


def _check_options(method: str, options: dict[str, Any]) -> None:
    params = inspect.signature(STEPPERS[method].__init__).parameters
    allowed = [p for p in params if p not in ("self", "problem")]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(f"unknown option(s) {unknown} for method {method!r}; it accepts {allowed}")


def _record(point: Point, iteration: int, step_norm: float, start: float, lam: float) -> dict[str, Any]:
    rec = {
        "iteration": iteration,
        "total": point.total,
        "fidelity": point.fidelity,
        "regularization": point.regularization,
        "grad_norm": point.grad_norm,
        "step_norm": step_norm,
        "wall_time": time.perf_counter() - start,
        "lam": lam,
    }
    rec.update({k: v for k, v in point.extra.items() if k != "phi"})
    return rec


def train(
    model: AutoencODE,
    x,
    y=None,
    lam: float = 1e-3,
    method: str = "continuation",
    iterations: int = 200,
    seed: int = 0,
    progress: bool = True,
    on_divergence: str | None = None,
    divergence_factor: float = 1e6,
    threads: int | None = None,
    **options: Any,
) -> TrainingResult:
    """Minimise J(θ) (SPEC §2) over the model's controls, in place; return the history.

    Parameters
    ----------
    model : AutoencODE, updated in place (never left with non-finite controls).
    x, y : data (N, d) and targets (``y=None``: autoencoding, y = x).
    lam : Tikhonov weight λ >= 0 (the target λ for ``continuation``).
    method : "gradient_flow" | "adam" | "shooting" | "minimizing_movement" | "continuation".
    iterations : budget of outer iterations (one record each, after the initial point).
    seed : passed to :func:`seed_everything` before training.
    progress : show a tqdm progress bar.
    on_divergence : "raise" (raise :class:`TrainingDiverged`) or "stop" (status "diverged").
        Default: "stop" for shooting (non-contraction is an expected outcome at small λ), "raise"
        for the others. Either way the last finite controls are restored.
    divergence_factor : a total cost above this factor times the initial one counts as divergence.
    threads : torch CPU threads while training (restored afterwards). Default: 1 when every layer is
        at most ``SMALL_WIDTH`` wide — tiny matrix products are dominated by per-call overhead and
        thread wake-ups (measured ~300 ms vs 0.4 ms per gradient on a busy 2-core machine) — else
        torch's current setting.
    **options : the method's own settings (see ``autoencode_lib.training.methods``), e.g.
        ``step_size``/``armijo`` (gradient_flow), ``lr`` (adam), ``relaxation``/``window``/``tol``
        (shooting), ``tau``/``inner_tol``/``inner_iterations`` (minimizing_movement),
        ``lam_start``/``stages``/``stage_iterations`` (continuation).
    """
    if not isinstance(model, AutoencODE):
        raise TypeError(f"model must be an AutoencODE, got {type(model).__name__}")
    if method not in STEPPERS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
        raise ValueError(f"iterations must be an integer >= 0, got {iterations!r}")
    if on_divergence is None:
        on_divergence = "stop" if method == "shooting" else "raise"
    if on_divergence not in ("raise", "stop"):
        raise ValueError(f"on_divergence must be 'raise' or 'stop', got {on_divergence!r}")
    lam = check_lam(lam)
    if isinstance(divergence_factor, bool) or not isinstance(divergence_factor, int | float) or not (
            divergence_factor > 1):
        raise ValueError(f"divergence_factor must be a number > 1, got {divergence_factor!r}")
    _check_options(method, options)
    seed_everything(seed)
    for name, data in (("x", x), ("y", y)):
        if isinstance(data, torch.Tensor) and data.is_floating_point() and not torch.isfinite(data).all():
            raise NonFiniteData(
                f"training data {name} contains NaN or infinite values: no finite cost at iteration 0",
                iteration=0, last_finite_cost=None)
    if method == "continuation" and "stage_iterations" not in options:
        stages = options.get("stages", 5)
        intermediate = stages - 1 if isinstance(stages, int) and stages > 1 else 1
        options["stage_iterations"] = max(5, iterations // (4 * intermediate))

    if threads is None:
        threads = 1 if max(model.profile.widths) <= SMALL_WIDTH else torch.get_num_threads()
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be an integer >= 1, got {threads!r}")
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _train(model, x, y, lam, method, iterations, progress, on_divergence, divergence_factor,
                      options)
    finally:
        torch.set_num_threads(previous_threads)


def _train(model, x, y, lam, method, iterations, progress, on_divergence, divergence_factor, options):
    problem = Problem(model, x, y, lam)
    stepper = STEPPERS[method](problem, **options)
    result = TrainingResult(method=method, lam=lam, options=dict(options))
    start = time.perf_counter()
    point = stepper.start()
    if not point.finite():
        problem.set_theta(point.theta.nan_to_num())
        raise TrainingDiverged(
            f"{method}: the cost or gradient at the initial controls is not finite", 0, None)
    result.history.append(_record(point, 0, 0.0, start, problem.lam))
    initial_total = point.total
    last_finite = point
    bar = tqdm(total=iterations, desc=f"{method} λ={lam:g}", disable=not progress, leave=False)
    try:
        for it in range(1, iterations + 1):
            if isinstance(stepper, Continuation):
                point = stepper.next_point(point)
            previous = point.theta
            point = stepper.step(point)
            bar.update(1)
            exploding = point.total > divergence_factor * max(initial_total, 1e-300)
            if not point.finite() or exploding:
                problem.set_theta(last_finite.theta)
                why = "is not finite" if not point.finite() else (
                    f"grew above {divergence_factor:g} times the initial cost ({point.total:.3g})")
                message = (f"{method} diverged at iteration {it}: the cost {why}; last finite cost "
                           f"{last_finite.total:.6g}. Restored the last finite controls. "
                           "Try a smaller step size or a larger λ.")
                result.status, result.message = "diverged", message
                if on_divergence == "raise":
                    raise TrainingDiverged(message, it, last_finite.total)
                break
            last_finite = point
            step_norm = float(torch.linalg.vector_norm(point.theta - previous))
            result.history.append(_record(point, it, step_norm, start, problem.lam))
            bar.set_postfix(J=f"{point.total:.4g}", refresh=False)
            if stepper.diverged:
                best = getattr(stepper, "best", None)
                if best is not None:
                    problem.set_theta(best[1])
                message = (f"{method} stopped at iteration {it}: {stepper.diverged}. "
                           "Restored the iterate with the smallest residual.")
                result.status, result.message = "diverged", message
                if on_divergence == "raise":
                    raise TrainingDiverged(message, it, point.total)
                break
            if stepper.converged(point):
                result.status = "converged"
                result.message = f"{method} converged after {it} iterations"
                break
        else:
            result.status = "max_iterations"
            result.message = f"{method} used its budget of {iterations} iterations"
        if iterations == 0:
            result.message = "no iterations requested"
        if stepper.converged(point) and iterations == 0:
            result.status = "converged"
    finally:
        bar.close()
        if isinstance(stepper, Continuation):
            problem.lam = lam
    if not math.isfinite(result.final.get("total", math.nan)):  # pragma: no cover - guarded above
        raise TrainingDiverged("non-finite cost in the history", result.iterations, None)
    return result
