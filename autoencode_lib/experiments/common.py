"""Helpers shared by the experiment modules."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

__all__ = ["torch_threads"]


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
