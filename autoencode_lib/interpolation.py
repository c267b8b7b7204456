"""Controls of a trained network as a function of time θ(t), and its finer discretisations (SPEC §1).

A network with L layers stores one control θ_k = (W_k, b_k) per Euler step [t_k, t_{k+1}]. Two ways
to read it as a continuous-time control on [0, T]:

* ``kind="constant"`` — θ(t) = θ_k on [t_k, t_{k+1}): the piecewise-constant control the network
  already discretises (:meth:`AutoencODE.refined` puts it on finer grids);
* ``kind="linear"`` — θ_k is the value at the cell midpoint τ_k = t_k + h/2 and θ(t) interpolates
  linearly between the midpoints of consecutive layers *of the same width*; in the first and last
  half-cell of a block of constant width it is constant. Controls of blocks of different widths live
  in different spaces (w × w), so nothing is interpolated across a width change.

:func:`interpolated` samples θ(t) at the midpoints of a grid ``factor`` times finer and returns the
AutoencODE with those controls (L → factor·L; ``factor=1`` gives back the network itself for either
kind). :func:`solve_interpolated` solves the continuous-time system x' = P σ(W(t) P x + b(t)) for
θ(t) with an adaptive torchdiffeq solver, restarted wherever θ(t) is not smooth (cell boundaries for
``constant``; block starts and midpoints for ``linear``). The L-step ResNet (Euler) of the refined
network converges to that solution at first order as L grows.
"""

from __future__ import annotations

import torch

from .model import ADAPTIVE_SOLVERS, AutoencODE, resize

__all__ = ["KINDS", "control_at", "interpolated", "solve_interpolated"]

KINDS = ("constant", "linear")


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown interpolation kind {kind!r}; choose one of {KINDS}")
    return kind


def _block_of(model: AutoencODE, k: int) -> tuple[int, int]:
    """[start, stop) layer range of the block of constant width containing layer k."""
    widths = model.profile.widths
    start = k
    while start > 0 and widths[start - 1] == widths[k]:
        start -= 1
    stop = k + 1
    while stop < len(widths) and widths[stop] == widths[k]:
        stop += 1
    return start, stop


def control_at(model: AutoencODE, t: float, kind: str = "linear", layer: int | None = None):
    """θ(t) = (W(t), b(t)) of ``model`` read as a continuous-time control (detached copies).

    ``layer`` says which cell [t_k, t_{k+1}] t belongs to (needed at a cell boundary, where the
    piecewise-constant control and the width jump); by default the cell is ⌊t/h⌋ clipped to
    0..L-1 — callers that walk a grid pass the layer explicitly.
    """
    _check_kind(kind)
    h = model.profile.step_size
    steps = model.profile.steps
    k = min(max(int(t // h), 0), steps - 1) if layer is None else int(layer)
    if not 0 <= k < steps:
        raise ValueError(f"layer {k} is outside 0..{steps - 1}")
    controls = model.controls()
    W, b = controls[k]
    if kind == "constant":
        return W.detach().clone(), b.detach().clone()
    start, stop = _block_of(model, k)
    mid = (k + 0.5) * h
    j = k + 1 if t >= mid else k - 1  # the neighbouring node on t's side of τ_k
    if not start <= j < stop:
        return W.detach().clone(), b.detach().clone()
    Wj, bj = controls[j]
    s = abs(t - mid) / h  # in [0, 1]: weight of the neighbour
    with torch.no_grad():
        return (1 - s) * W + s * Wj, (1 - s) * b + s * bj


def interpolated(model: AutoencODE, factor: int, kind: str = "linear") -> AutoencODE:
    """The AutoencODE on a grid ``factor`` times finer whose layer j has control θ(midpoint of j).

    ``kind="constant"`` is :meth:`AutoencODE.refined`; ``kind="linear"`` samples the piecewise-linear
    interpolation of the module docstring. For ``factor=1`` both return a copy of ``model``.
    """
    _check_kind(kind)
    if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
        raise ValueError(f"factor must be an integer >= 1, got {factor!r}")
    fine = model.refined(factor)
    if kind == "constant":
        return fine
    h = model.profile.step_size
    controls = []
    for k in range(model.profile.steps):
        for i in range(factor):
            t = (k + (i + 0.5) / factor) * h
            controls.append(control_at(model, t, "linear", layer=k))
    fine.set_controls(controls)
    return fine


def _breakpoints(model: AutoencODE, k: int, kind: str) -> list[float]:
    """Times in cell k where θ(t) is not smooth, ends included."""
    h = model.profile.step_size
    if kind == "constant":
        return [k * h, (k + 1) * h]
    return [k * h, (k + 0.5) * h, (k + 1) * h]


def solve_interpolated(
    model: AutoencODE,
    x: torch.Tensor,
    kind: str = "linear",
    solver: str = "dopri5",
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> torch.Tensor:
    """x(T), shape (N, d), for the continuous-time control θ(t) of ``model`` (see :func:`control_at`).

    Adaptive ``solver`` (torchdiffeq), restarted at each cell boundary and, for ``linear``, at each
    cell midpoint, so the field is smooth on every interval it integrates over. The projection P_k
    is applied at the start of each cell, as in :meth:`AutoencODE.solve` (which this reproduces for
    ``kind="constant"``).
    """
    from torchdiffeq import odeint

    _check_kind(kind)
    if solver not in ADAPTIVE_SOLVERS:
        raise ValueError(f"solver must be an adaptive torchdiffeq method {ADAPTIVE_SOLVERS}, got {solver!r}")
    x = model.check_input(x)
    act = model.activation.fn
    dtype, device = model.dtype, model.device
    state = model.initial_state(x)
    with torch.no_grad():
        for k, layer in enumerate(model.layers):
            w = layer.width
            active = resize(state, w) if model.inactive == "reset" else state[:, :w]
            points = _breakpoints(model, k, kind)
            for t0, t1 in zip(points[:-1], points[1:], strict=True):
                # θ is affine on [t0, t1]: θ(t) = θ(t0) + (t − t0)/(t1 − t0) · (θ(t1⁻) − θ(t0))
                W0, b0 = control_at(model, t0, kind, layer=k)
                W1, b1 = control_at(model, t1, kind, layer=k)
                dW, db = (W1 - W0) / (t1 - t0), (b1 - b0) / (t1 - t0)

                def field(t, a, W0=W0, b0=b0, dW=dW, db=db, t0=t0):
                    s = t - t0
                    return act(torch.addmm(b0 + s * db, a, (W0 + s * dW).T))

                span = torch.tensor([t0, t1], dtype=dtype, device=device)
                active = odeint(field, active, span, method=solver, rtol=rtol, atol=atol)[-1]
            if model.inactive == "reset" or w == state.shape[1]:
                state = active
            else:
                state = torch.cat([active, state[:, w:]], dim=1)
    return model.pad(state)
