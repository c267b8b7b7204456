"""The explicit Pontryagin optimality system of the discrete AutoencODE (SPEC §3).

Forward:    x_{k+1} = P_k x_k + h G_k(x_k),     G_k(x) = P_k σ(z_k),  z_k = W_k P_k x_k + b_k
Costate:    p_L = −(1/N) ∇ℓ(x_L, y) = −(2/N)(x_L − y)
            p_k = P_k p_{k+1} + h (∂_x G_k(x_k))ᵀ p_{k+1},   ∂_x G_k = P_k diag(σ'(z_k)) W_k P_k
Hamiltonian H_k(θ) = Σ_i p_{k+1}^(i) · G_k(x_k^(i); θ) − λ (‖W‖² + ‖b‖²)
Gradient    ∇_{θ_k} J = −h ∇_θ H_k(θ_k)
Stationary  θ_k = (1/2λ) Σ_i ∂_θ G_k(x_k^(i); θ_k)ᵀ p_{k+1}^(i)   (PMP: ∇_θ H_k = 0)

With ``inactive="freeze"`` the skip connection is the identity instead of P_k, in the forward and in
the costate alike. Everything here is computed by hand, under ``torch.no_grad``; the tests check it
against torch autograd.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .cost import check_lam, prepare_data
from .model import AutoencODE, resize

__all__ = [
    "PMPSweep",
    "forward_backward",
    "costates",
    "hamiltonian",
    "adjoint_gradient",
    "stationarity_map",
    "stationarity_residual",
]


@dataclass
class PMPSweep:
    """One forward sweep and one backward (costate) sweep.

    ``inputs[k]``: the active part P_k x_k (N, w_k) entering layer k; ``activations[k]``: σ(z_k);
    ``slopes[k]``: σ'(z_k); ``active_costates[k]``: P_k p_{k+1} (N, w_k), the costate that the
    Hamiltonian of layer k pairs with G_k; ``costates[k]``: p_k for k = 0..L (narrow for ``reset``:
    its leading columns, the rest are zero); ``final_state``: x_L (N, d); ``fidelity``: (1/N) Σ ℓ.
    """

    inputs: list[torch.Tensor]
    activations: list[torch.Tensor]
    slopes: list[torch.Tensor]
    active_costates: list[torch.Tensor]
    costates: list[torch.Tensor]
    final_state: torch.Tensor
    fidelity: torch.Tensor


@torch.no_grad()
def forward_backward(model: AutoencODE, x, y=None) -> PMPSweep:
    """Forward states, then the costate backward from p_L = −(2/N)(x_L − y) (SPEC §3)."""
    x, y = prepare_data(model, x, y)
    n = x.shape[0]
    h = model.profile.step_size
    d = model.profile.dim
    act = model.activation
    reset = model.inactive == "reset"
    controls = model.controls()

    inputs, activations, slopes = [], [], []
    state = model.initial_state(x)
    for W, b in controls:
        w = W.shape[0]
        active = resize(state, w) if reset else state[:, :w]
        z = torch.addmm(b, active, W.T)
        s = act.fn(z)
        inputs.append(active)
        activations.append(s)
        slopes.append(act.derivative(z))
        moved = active + h * s
        state = moved if reset or w == d else torch.cat([moved, state[:, w:]], dim=1)
    final = model.pad(state)
    err = final - y
    fidelity = (err * err).sum() / n

    steps = model.profile.steps
    p = -(2.0 / n) * err  # p_L, (N, d)
    active_costates: list[torch.Tensor] = [p] * steps
    ps: list[torch.Tensor] = [p] * (steps + 1)
    for k in range(steps - 1, -1, -1):
        W = controls[k][0]
        w = W.shape[0]
        pa = resize(p, w)  # P_k p_{k+1}
        active_costates[k] = pa
        back = pa + h * (slopes[k] * pa) @ W  # P_k p + h W_kᵀ (σ'(z_k) ⊙ p), sample by sample
        p = back if reset or w == d else torch.cat([back, p[:, w:]], dim=1)
        ps[k] = p
    return PMPSweep(inputs, activations, slopes, active_costates, ps, final, fidelity)


def costates(model: AutoencODE, x, y=None) -> torch.Tensor:
    """p_0..p_L as a (L + 1, N, d) tensor (zeros outside the active sets, for ``reset``)."""
    sweep = forward_backward(model, x, y)
    return torch.stack([model.pad(p) for p in sweep.costates])


def _hamiltonian_gradient(model: AutoencODE, sweep: PMPSweep, lam: float):
    """∇_θ H_k for every layer: (Σ_i (p⊙σ') x_kᵀ − 2λW_k, Σ_i p⊙σ' − 2λ b_k)."""
    grads = []
    for k, (W, b) in enumerate(model.controls()):
        q = sweep.active_costates[k] * sweep.slopes[k]  # (N, w_k): p_{k+1} ⊙ σ'(z_k)
        grads.append((q.T @ sweep.inputs[k] - 2.0 * lam * W, q.sum(dim=0) - 2.0 * lam * b))
    return grads


@torch.no_grad()
def hamiltonian(model: AutoencODE, x, y=None, lam: float = 0.0) -> torch.Tensor:
    """H_k(θ_k) for every layer k, a (L,) tensor (SPEC §3)."""
    lam = check_lam(lam)
    sweep = forward_backward(model, x, y)
    values = []
    for k, (W, b) in enumerate(model.controls()):
        transport = (sweep.active_costates[k] * sweep.activations[k]).sum()
        values.append(transport - lam * ((W * W).sum() + (b * b).sum()))
    return torch.stack(values)


@torch.no_grad()
def adjoint_gradient(
    model: AutoencODE, x, y=None, lam: float = 0.0, sweep: PMPSweep | None = None
) -> list[torch.Tensor]:
    """∇J from the costate, ∇_{θ_k} J = −h ∇_θ H_k(θ_k) (SPEC §3).

    A list aligned with ``list(model.parameters())``: [∇W_0, ∇b_0, ∇W_1, ∇b_1, ...]. Pass a
    ``sweep`` of :func:`forward_backward` at the current controls to reuse it.
    """
    lam = check_lam(lam)
    if sweep is None:
        sweep = forward_backward(model, x, y)
    h = model.profile.step_size
    out: list[torch.Tensor] = []
    for gW, gb in _hamiltonian_gradient(model, sweep, lam):
        out.extend((-h * gW, -h * gb))
    return out


@torch.no_grad()
def stationarity_map(model: AutoencODE, x, y=None, lam: float = 1.0, sweep: PMPSweep | None = None):
    """Φ(θ)_k = (1/2λ) Σ_i ∂_θ G_k(x_k^(i); θ_k)ᵀ p_{k+1}^(i): the right-hand side of PMP (SPEC §3).

    Returns [(W_k', b_k'), ...]. A fixed point θ = Φ(θ) is a stationary point of J.
    """
    lam = check_lam(lam)
    if lam == 0:
        raise ValueError("the stationarity map θ = (1/2λ) Σ ∂_θGᵀp needs λ > 0")
    if sweep is None:
        sweep = forward_backward(model, x, y)
    out = []
    for k in range(model.profile.steps):
        q = sweep.active_costates[k] * sweep.slopes[k]
        out.append(((q.T @ sweep.inputs[k]) / (2 * lam), q.sum(dim=0) / (2 * lam)))
    return out


@torch.no_grad()
def stationarity_residual(model: AutoencODE, x, y=None, lam: float = 1.0) -> float:
    """‖θ − Φ(θ)‖ over all layers (Euclidean norm of the stacked controls).

    It is zero exactly at the PMP-stationary points; ∇J = 2λh (θ − Φ(θ)).
    """
    target = stationarity_map(model, x, y, lam)
    total = sum(
        ((W - W2) ** 2).sum() + ((b - b2) ** 2).sum()
        for (W, b), (W2, b2) in zip(model.controls(), target, strict=True)
    )
    return float(total) ** 0.5
