"""Helpers shared by the experiment modules."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import torch

__all__ = ["profile_config", "torch_threads"]


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(count)``, then restore the previous setting.

    The small models of the 2-D figures are dominated by per-call overhead: on a busy 2-core machine
    multi-threaded BLAS on 2 × 64 matrices was measured ~700× slower than one thread (thread wake-up
    contention), and ``make -j2 figures`` runs two notebooks at once.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def profile_config(
    profiles: Mapping[str, Mapping[str, Any]], profile: str, **overrides: Any
) -> dict[str, Any]:
    """A copy of the settings of ``profile`` with every override that is not ``None`` applied.

    An unknown profile is a ``ValueError``; an override the profile does not define is a
    ``TypeError`` naming the known settings.
    """
    if profile not in profiles:
        raise ValueError(f"unknown profile {profile!r}; choose one of {tuple(profiles)}")
    config = dict(profiles[profile])
    unknown = sorted(set(overrides) - set(config))
    if unknown:
        raise TypeError(f"unknown setting(s) {unknown}; known: {sorted(config)}")
    config.update({k: v for k, v in overrides.items() if v is not None})
    return config
