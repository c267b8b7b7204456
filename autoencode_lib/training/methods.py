"""The trainers of SPEC §4, as steppers over a :class:`Problem`.

Each stepper has ``start() -> Point`` (evaluate at the current controls), ``step(point) -> Point``
(one iteration; the model holds the new controls) and ``converged(point)``; ``diverged`` is set by
steppers that detect their own failure (shooting's non-contraction). The driver in ``train.py``
records, checks and reports.
"""

from __future__ import annotations

import math

import torch

from .problem import Point, Problem

__all__ = ["GradientFlow", "Adam", "Shooting", "MinimizingMovement", "Continuation", "STEPPERS"]


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


class Stepper:
    name = "stepper"

    def __init__(self, problem: Problem, tol: float = 1e-8) -> None:
        self.problem = problem
        self.tol = _positive("tol", tol)
        self.diverged: str | None = None

    def start(self) -> Point:
        return self.problem.evaluate()

    def converged(self, point: Point) -> bool:
        return point.grad_norm < self.tol

    def step(self, point: Point) -> Point:  # pragma: no cover - abstract
        raise NotImplementedError


class GradientFlow(Stepper):
    """Explicit gradient flow θ ← θ − τ ∇J with the adjoint gradient (SPEC §4.1).

    ``armijo=True`` backtracks τ (halving) until J decreases by at least c·τ‖∇J‖², then lets it
    grow again (×2) at the next iteration, up to ``step_size``.
    """

    name = "gradient_flow"

    def __init__(self, problem: Problem, step_size: float = 1.0, armijo: bool = False,
                 armijo_c: float = 1e-4, max_backtracks: int = 40, tol: float = 1e-8) -> None:
        super().__init__(problem, tol)
        self.step_size = _positive("step_size", step_size)
        self.armijo = bool(armijo)
        self.armijo_c = armijo_c
        self.max_backtracks = max_backtracks
        self.current = self.step_size

    def step(self, point: Point) -> Point:
        g = point.grad
        if not self.armijo:
            self.problem.set_theta(point.theta - self.step_size * g)
            new = self.problem.evaluate()
            new.extra["step_size"] = self.step_size
            return new
        tau = min(self.step_size, 2 * self.current)
        g2 = float(g @ g)
        for _ in range(self.max_backtracks):
            value = self.problem.value(point.theta - tau * g)
            if math.isfinite(value) and value <= point.total - self.armijo_c * tau * g2:
                break
            tau *= 0.5
        self.current = tau
        self.problem.set_theta(point.theta - tau * g)
        new = self.problem.evaluate()
        new.extra["step_size"] = tau
        return new


class Adam(Stepper):
    """torch.optim.Adam on the same cost, gradients by autograd: the practitioners' baseline."""

    name = "adam"

    def __init__(self, problem: Problem, lr: float = 1e-2, betas: tuple[float, float] = (0.9, 0.999),
                 tol: float = 1e-8) -> None:
        super().__init__(problem, tol)
        self.optimizer = torch.optim.Adam(problem.params, lr=_positive("lr", lr), betas=betas)

    def start(self) -> Point:
        return self.problem.evaluate(gradient="autograd")

    def step(self, point: Point) -> Point:
        offset = 0
        for p in self.problem.params:
            n = p.numel()
            p.grad = point.grad[offset: offset + n].view_as(p).clone()
            offset += n
        self.optimizer.step()
        return self.problem.evaluate(gradient="autograd")


class Shooting(Stepper):
    """Method of successive approximations (SPEC §4.2).

    Forward, costate, then the damped stationarity update θ ← (1 − α) θ + α Φ(θ) with
    Φ(θ)_k = (1/2λ) Σ_i ∂_θG_kᵀ p_{k+1}. Converged when ‖θ − Φ(θ)‖ < ``tol``. Not contracting —
    the residual has not decreased over ``window`` iterations (growing or oscillating), or is not
    finite, or has grown ``growth`` times above its smallest value — sets ``diverged``; the iterate
    with the smallest residual is kept in ``best``.
    """

    name = "shooting"

    def __init__(self, problem: Problem, relaxation: float = 0.25, window: int = 10, growth: float = 10.0,
                 tol: float = 1e-8) -> None:
        super().__init__(problem, tol)
        if problem.lam <= 0:
            raise ValueError("shooting needs λ > 0: the stationarity map divides by 2λ")
        self.relaxation = _positive("relaxation", relaxation)
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ValueError(f"window must be an integer >= 1, got {window!r}")
        self.window = window
        self.growth = _positive("growth", growth)
        self.residuals: list[float] = []
        self.best: tuple[float, torch.Tensor] | None = None

    def _observe(self, point: Point) -> Point:
        r = point.extra["stationarity_residual"]
        self.residuals.append(r)
        if math.isfinite(r) and (self.best is None or r < self.best[0]):
            self.best = (r, point.theta)
        if not math.isfinite(r):
            self.diverged = "the stationarity residual is not finite"
        elif r > self.growth * self.best[0]:
            self.diverged = (
                f"the shooting map does not contract: residual {r:.3g} after {len(self.residuals) - 1} "
                f"iterations, more than {self.growth:g} times its smallest value {self.best[0]:.3g}"
            )
        elif len(self.residuals) > self.window and r >= self.residuals[-1 - self.window]:
            self.diverged = (
                f"the shooting map does not contract: residual {r:.3g} after {len(self.residuals) - 1} "
                f"iterations, {self.residuals[-1 - self.window]:.3g} {self.window} iterations before"
            )
        return point

    def start(self) -> Point:
        return self._observe(self.problem.evaluate(stationarity=True))

    def converged(self, point: Point) -> bool:
        return point.extra["stationarity_residual"] < self.tol

    def step(self, point: Point) -> Point:
        alpha = self.relaxation
        self.problem.set_theta((1 - alpha) * point.theta + alpha * point.extra["phi"])
        return self._observe(self.problem.evaluate(stationarity=True))


class MinimizingMovement(Stepper):
    """Implicit gradient flow θ^{n+1} = argmin J(θ) + ‖θ − θ^n‖²/(2τ) (SPEC §4.3).

    The inner problem is solved by L-BFGS (strong Wolfe line search, adjoint gradients) until the
    largest entry of its gradient is below ``inner_tol`` or ``inner_iterations`` are spent. Each
    record carries ``energy_gap`` = J(θ^{n+1}) + ‖θ^{n+1} − θ^n‖²/(2τ) − J(θ^n), which the energy
    inequality says is ≤ 0 (up to the inner tolerance).
    """

    name = "minimizing_movement"

    def __init__(self, problem: Problem, tau: float = 1000.0, inner_tol: float = 1e-9,
                 inner_iterations: int = 20, stall_tol: float = 1e-12, tol: float = 1e-8) -> None:
        super().__init__(problem, tol)
        self.stall_tol = stall_tol
        self.stalled = False
        self.tau = _positive("tau", tau)
        self.inner_tol = _positive("inner_tol", inner_tol)
        self.inner_iterations = int(inner_iterations)

    def step(self, point: Point) -> Point:
        problem, tau = self.problem, self.tau
        anchor = point.theta
        optimizer = torch.optim.LBFGS(
            problem.params, lr=1.0, max_iter=self.inner_iterations, tolerance_grad=self.inner_tol,
            tolerance_change=1e-15, history_size=20, line_search_fn="strong_wolfe",
        )
        evaluations = 0

        def closure():
            nonlocal evaluations
            evaluations += 1
            inner = problem.evaluate()
            delta = inner.theta - anchor
            grad = inner.grad + delta / tau
            offset = 0
            for p in problem.params:
                n = p.numel()
                p.grad = grad[offset: offset + n].view_as(p).clone()
                offset += n
            return torch.tensor(inner.total + float(delta @ delta) / (2 * tau), dtype=grad.dtype)

        optimizer.step(closure)
        new = problem.evaluate()
        moved = new.theta - anchor
        new.extra["energy_gap"] = new.total + float(moved @ moved) / (2 * tau) - point.total
        new.extra["inner_evaluations"] = evaluations
        self.stalled = point.total - new.total <= self.stall_tol * max(1.0, abs(point.total))
        return new

    def converged(self, point: Point) -> bool:
        """‖∇J‖ < tol, or an outer step that lowered J by less than ``stall_tol`` (relative): the
        inner solver cannot move any more at its tolerance."""
        return point.grad_norm < self.tol or self.stalled


class Continuation(Stepper):
    """λ-continuation, the project's reconstruction of the paper's tailored method (SPEC §4.4).

    λ goes from ``lam_start`` down to the target λ in ``stages`` geometric steps; each stage starts
    from the previous stage's minimiser (warm start). Inside a stage, shooting runs while its
    residual contracts and J decreases; when it stops contracting (or a step raises J), the stage
    goes back to the better iterate and switches to minimising movement. An intermediate stage ends
    when its residual (shooting) or ‖∇J‖ (minimising movement) is below ``stage_tol`` or after
    ``stage_iterations`` iterations (default: a quarter of the budget shared by the intermediate
    stages); the last stage, at the target λ, runs to ``tol`` or to the end of the budget.
    """

    name = "continuation"

    def __init__(self, problem: Problem, lam_start: float = 1.0, stages: int = 5,
                 stage_iterations: int = 40, stage_tol: float = 1e-4, relaxation: float = 0.25,
                 window: int = 10, tau: float = 1000.0, inner_tol: float = 1e-9,
                 inner_iterations: int = 20, tol: float = 1e-8) -> None:
        super().__init__(problem, tol)
        target = problem.lam
        if target <= 0:
            raise ValueError("continuation needs a target λ > 0 (it decreases λ geometrically)")
        lam_start = _positive("lam_start", lam_start)
        if lam_start < target:
            raise ValueError(f"lam_start ({lam_start:g}) must be >= the target λ ({target:g})")
        if isinstance(stages, bool) or not isinstance(stages, int) or stages < 1:
            raise ValueError(f"stages must be an integer >= 1, got {stages!r}")
        if stages == 1:
            self.schedule = [target]
        else:
            ratio = (target / lam_start) ** (1.0 / (stages - 1))
            self.schedule = [lam_start * ratio**s for s in range(stages - 1)] + [target]
        self.stage_iterations = int(stage_iterations)
        self.stage_tol = _positive("stage_tol", stage_tol)
        self.shooting_options = dict(relaxation=relaxation, window=window, tol=tol)
        self.mm_options = dict(tau=tau, inner_tol=inner_tol, inner_iterations=inner_iterations, tol=tol)
        self.stage = 0
        self.done = False

    def _begin_stage(self, stage: int) -> Point:
        self.stage = stage
        self.problem.lam = self.schedule[stage]
        self.inner: Stepper = Shooting(self.problem, **self.shooting_options)
        self.stage_count = 0
        self.switched = False
        return self._mark(self.inner.start())

    def _mark(self, point: Point, switch: bool = False) -> Point:
        point.extra.update(stage=self.stage, inner=self.inner.name, switch=switch)
        point.extra.setdefault("stationarity_residual", float("nan"))
        return point

    def start(self) -> Point:
        return self._begin_stage(0)

    def converged(self, point: Point) -> bool:
        return self.done

    def step(self, point: Point) -> Point:
        new = self.inner.step(point)
        self.stage_count += 1
        switch = False
        if isinstance(self.inner, Shooting) and (self.inner.diverged or new.total > point.total):
            # Shooting left the contractive regime (its residual stopped contracting, or the step
            # raised J): back to the better iterate, then implicit steps for the rest of the stage.
            assert self.inner.best is not None
            self.problem.set_theta(point.theta if new.total > point.total else self.inner.best[1])
            self.inner = MinimizingMovement(self.problem, **self.mm_options)
            new = self.inner.start()
            switch = True
        self._mark(new, switch)
        last_stage = self.stage + 1 == len(self.schedule)
        stage_done = (
            self.inner.converged(new)
            if last_stage
            else self._stage_converged(new) or self.stage_count >= self.stage_iterations
        )
        if stage_done:
            if not last_stage:
                # next λ, warm-started here; its first record is the next iteration
                self._pending = self.stage + 1
            else:
                self.done = self.inner.converged(new)
        return new

    def _stage_converged(self, point: Point) -> bool:
        """An intermediate stage only needs a rough minimiser: residual or ‖∇J‖ below stage_tol."""
        if isinstance(self.inner, Shooting):
            return point.extra["stationarity_residual"] < self.stage_tol
        return point.grad_norm < self.stage_tol

    def next_point(self, point: Point) -> Point:
        """Called by the driver before each step: opens the next stage when one is pending."""
        pending = getattr(self, "_pending", None)
        if pending is None:
            return point
        self._pending = None
        return self._begin_stage(pending)


STEPPERS = {
    cls.name: cls for cls in (GradientFlow, Adam, Shooting, MinimizingMovement, Continuation)
}
