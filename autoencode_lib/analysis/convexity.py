"""Local convexity of the cost J(θ) (SPEC §5).

Parameters are flattened in the order of ``list(model.parameters())`` (W_0, b_0, W_1, b_1, …). The
cost is evaluated functionally at θ (``torch.func.functional_call``), so nothing here changes the
model's controls.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch.func import functional_call

from ..cost import check_lam, prepare_data
from ..model import AutoencODE

__all__ = [
    "flat_parameters",
    "cost_function",
    "hessian_vector_product",
    "hessian",
    "hessian_eigs",
    "directional_curvature",
    "landscape_slice",
    "landscape_plane",
    "convexity_radius",
    "MAX_DENSE_PARAMETERS",
]

MAX_DENSE_PARAMETERS = 5000


def flat_parameters(model: AutoencODE) -> torch.Tensor:
    """θ as one flat vector (a detached copy), in the order of ``list(model.parameters())``."""
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()]).clone()


def _as_flat(model: AutoencODE, direction, name: str = "direction") -> torch.Tensor:
    size = model.num_parameters()
    if isinstance(direction, Sequence) and not isinstance(direction, torch.Tensor):
        direction = torch.cat([torch.as_tensor(d).reshape(-1) for d in direction])
    direction = torch.as_tensor(direction, dtype=model.dtype, device=model.device).reshape(-1)
    if direction.numel() != size:
        raise ValueError(f"{name} must have {size} entries (one per parameter), got {direction.numel()}")
    if not torch.isfinite(direction).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    if not direction.abs().max() > 0:
        raise ValueError(f"{name} is the zero vector: it has no direction")
    return direction


def cost_function(model: AutoencODE, x, y=None, lam: float = 0.0) -> Callable[[torch.Tensor], torch.Tensor]:
    """θ ↦ J(θ) (SPEC §2) as a differentiable function of the flat parameter vector."""
    lam = check_lam(lam)
    x, y = prepare_data(model, x, y)
    names = [name for name, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    sizes = [p.numel() for p in model.parameters()]
    h = model.profile.step_size
    n = x.shape[0]

    def J(theta: torch.Tensor) -> torch.Tensor:
        chunks = torch.split(theta, sizes)
        params = {k: c.view(s) for k, c, s in zip(names, chunks, shapes, strict=True)}
        err = functional_call(model, params, (x,)) - y
        return (err * err).sum() / n + lam * h * (theta * theta).sum()

    return J


def hessian_vector_product(model: AutoencODE, x, y=None, lam: float = 0.0, at: torch.Tensor | None = None):
    """v ↦ H(θ) v at θ = ``at`` (default: the model's controls), by double backward."""
    J = cost_function(model, x, y, lam)
    theta = (flat_parameters(model) if at is None else at.detach().clone()).requires_grad_(True)
    (grad,) = torch.autograd.grad(J(theta), theta, create_graph=True)

    def hvp(v: torch.Tensor) -> torch.Tensor:
        (hv,) = torch.autograd.grad(grad, theta, grad_outputs=v, retain_graph=True)
        return hv.detach()

    return hvp


def hessian(model: AutoencODE, x, y=None, lam: float = 0.0, max_parameters: int = MAX_DENSE_PARAMETERS):
    """Dense Hessian of J at the model's controls, (P, P), for small models only."""
    size = model.num_parameters()
    if size > max_parameters:
        raise ValueError(
            f"the dense Hessian of {size} parameters would be a {size}x{size} matrix; it is only built "
            f"for up to max_parameters={max_parameters}. Use hessian_eigs (Lanczos on Hessian-vector "
            "products) for larger models."
        )
    J = cost_function(model, x, y, lam)
    theta = flat_parameters(model)
    H = torch.autograd.functional.hessian(J, theta, vectorize=True)
    return 0.5 * (H + H.T)


def hessian_eigs(model: AutoencODE, x, y=None, lam: float = 0.0, k: int = 6, which: str = "smallest",
                 tol: float = 1e-10, seed: int = 0) -> np.ndarray:
    """k extreme eigenvalues of the Hessian by Lanczos (``scipy.sparse.linalg.eigsh``) on
    Hessian-vector products; sorted ascending. ``which`` = "smallest" | "largest"."""
    from scipy.sparse.linalg import LinearOperator, eigsh

    if which not in ("smallest", "largest"):
        raise ValueError(f"which must be 'smallest' or 'largest', got {which!r}")
    size = model.num_parameters()
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k < size:
        raise ValueError(f"k must be an integer in 1..{size - 1} (P - 1), got {k!r}")
    hvp = hessian_vector_product(model, x, y, lam)
    dtype, device = model.dtype, model.device

    def matvec(v: np.ndarray) -> np.ndarray:
        out = hvp(torch.as_tensor(np.ascontiguousarray(v).reshape(-1), dtype=dtype, device=device))
        return out.cpu().double().numpy()

    op = LinearOperator((size, size), matvec=matvec, dtype=np.float64)
    v0 = np.random.default_rng(seed).standard_normal(size)
    vals = eigsh(op, k=k, which="SA" if which == "smallest" else "LA", tol=tol, v0=v0,
                 return_eigenvectors=False)
    return np.sort(vals)


def directional_curvature(model: AutoencODE, x, y, lam: float, direction, offsets) -> np.ndarray:
    """uᵀ H(θ* + s u) u for each s in ``offsets`` (u normalised to unit length)."""
    J = cost_function(model, x, y, lam)
    u = _as_flat(model, direction)
    u = u / torch.linalg.vector_norm(u)
    base = flat_parameters(model)
    out = []
    for s in np.asarray(offsets, dtype=float):
        theta = (base + float(s) * u).requires_grad_(True)
        (g,) = torch.autograd.grad(J(theta), theta, create_graph=True)
        (hu,) = torch.autograd.grad(g @ u, theta)
        out.append(float(hu @ u))
    return np.asarray(out)


def landscape_slice(model: AutoencODE, x, y=None, lam: float = 0.0, direction=None, radius: float = 1.0,
                    points: int = 101, normalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """1-D slice s ↦ J(θ* + s u), s ∈ [−radius, radius] on ``points`` points (u normalised)."""
    if direction is None:
        raise ValueError("landscape_slice needs a direction (e.g. a Hessian eigenvector)")
    if not (isinstance(radius, int | float) and math.isfinite(radius) and radius > 0):
        raise ValueError(f"radius must be a finite number > 0, got {radius!r}")
    if isinstance(points, bool) or not isinstance(points, int) or points < 3:
        raise ValueError(f"points must be an integer >= 3, got {points!r}")
    J = cost_function(model, x, y, lam)
    u = _as_flat(model, direction)
    if normalize:
        u = u / torch.linalg.vector_norm(u)
    base = flat_parameters(model)
    s = np.linspace(-radius, radius, points)
    with torch.no_grad():
        values = np.array([float(J(base + float(t) * u)) for t in s])
    return s, values


def landscape_plane(model: AutoencODE, x, y, lam: float, u, v, radius: float = 1.0, points: int = 41):
    """2-D slice (s, r) ↦ J(θ* + s u + r v) on a points × points grid (u, v normalised)."""
    J = cost_function(model, x, y, lam)
    u = _as_flat(model, u, "u")
    v = _as_flat(model, v, "v")
    u, v = u / torch.linalg.vector_norm(u), v / torch.linalg.vector_norm(v)
    base = flat_parameters(model)
    s = np.linspace(-radius, radius, points)
    grid = np.empty((points, points))
    with torch.no_grad():
        for i, a in enumerate(s):
            for j, b in enumerate(s):
                grid[j, i] = float(J(base + float(a) * u + float(b) * v))
    return s, s, grid


def convexity_radius(model: AutoencODE, x, y=None, lam: float = 0.0, directions: int = 64, seed: int = 0,
                     max_radius: float = 2.0, points: int = 41, return_details: bool = False):
    """Largest r such that the curvature uᵀH(θ* + s u)u stays positive for |s| ≤ r along every
    sampled direction u (SPEC §5).

    ``directions`` random unit directions (seeded); along each, the curvature is evaluated exactly
    (Hessian-vector products) on ``points`` offsets of [−max_radius, max_radius]; the radius is the
    smallest |s| with curvature ≤ 0, over all directions. It is a sampled estimate: an upper bound on
    the true radius of the ball (other directions may turn earlier), censored at ``max_radius`` when no
    sampled direction turns (``details["censored"]``). 0 when the Hessian at θ* already has a
    non-positive sampled curvature.
    """
    if isinstance(directions, bool) or not isinstance(directions, int) or directions < 1:
        raise ValueError(f"directions must be an integer >= 1, got {directions!r}")
    if not (isinstance(max_radius, int | float) and math.isfinite(max_radius) and max_radius > 0):
        raise ValueError(f"max_radius must be a finite number > 0, got {max_radius!r}")
    if isinstance(points, bool) or not isinstance(points, int) or points < 3:
        raise ValueError(f"points must be an integer >= 3, got {points!r}")
    gen = torch.Generator().manual_seed(seed)
    offsets = np.linspace(-max_radius, max_radius, points)
    order = np.argsort(np.abs(offsets), kind="stable")
    per_direction = []
    for _ in range(directions):
        u = torch.randn(model.num_parameters(), generator=gen, dtype=torch.float64)
        curv = directional_curvature(model, x, y, lam, u, offsets)
        bad = [abs(offsets[i]) for i in order if curv[i] <= 0]
        per_direction.append(min(bad) if bad else math.inf)
    radius = min(per_direction)
    censored = math.isinf(radius)
    radius = float(max_radius) if censored else float(radius)
    if return_details:
        return radius, {"per_direction": per_direction, "censored": censored, "offsets": offsets}
    return radius
