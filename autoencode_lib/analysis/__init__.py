"""Local-convexity tools (SPEC §5): Hessians, Lanczos eigenvalues, landscape slices, convexity radius."""

from .convexity import (
    MAX_DENSE_PARAMETERS,
    convexity_radius,
    cost_function,
    directional_curvature,
    flat_parameters,
    hessian,
    hessian_eigs,
    hessian_vector_product,
    landscape_plane,
    landscape_slice,
)

__all__ = [
    "MAX_DENSE_PARAMETERS",
    "convexity_radius",
    "cost_function",
    "directional_curvature",
    "flat_parameters",
    "hessian",
    "hessian_eigs",
    "hessian_vector_product",
    "landscape_plane",
    "landscape_slice",
]
