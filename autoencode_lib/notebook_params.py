"""Validation of notebook parameters (the Papermill ``parameters`` cell).

Each notebook declares its parameters twice on purpose: as plain assignments in its tagged
``parameters`` cell (what Papermill and a reader edit) and as a ``PARAMETERS`` dict in its experiment
module (names, default values and therefore types). A test checks that the two agree. Right after the
parameters cell (and the cell Papermill injects after it) the notebook calls::

    params = check_parameters(globals(), PARAMETERS, before=_names_before)

Unknown names are found in the cells just executed before the check: the parameters cell and
Papermill's injected ``# Parameters`` cell (both made of ``name = <literal>`` lines), read from
IPython's input history ``In``. So ``papermill -p lamda 1e-3`` (a typo, which Papermill itself
injects silently) is caught, and re-running the parameters and check cells in JupyterLab after the
whole notebook has run still works. Without an IPython history (a plain dict, a script) every name
defined since ``before`` (a ``set(globals())`` taken in the set-up cell) must be declared. Each value
must have its default's type.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["PROFILES", "check_parameters", "resolve_path"]

PROFILES = ("smoke", "paper")
COMMON = ("profile", "seed", "device", "out_dir")


def _type_name(value: Any) -> str:
    return type(value).__name__


def _check_value(name: str, value: Any, default: Any) -> Any:
    """``value`` converted to the type of ``default``, or TypeError."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok:
            value = float(value)
    elif isinstance(default, str):
        ok = isinstance(value, str)
    elif default is None:
        ok = True
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise TypeError(
            f"notebook parameter {name!r} must be of type {_type_name(default)} "
            f"(default {default!r}), got {value!r} of type {_type_name(value)}"
        )
    return value


def check_parameters(
    namespace: Mapping[str, Any],
    defaults: Mapping[str, Any],
    before: Iterable[str] | None = None,
    profiles: Iterable[str] = PROFILES,
) -> dict[str, Any]:
    """Validate notebook parameters; return ``{name: value}`` for every declared parameter.

    ``namespace`` is the notebook's ``globals()`` (or a plain dict of parameters in tests);
    ``defaults`` the declared parameters; ``before`` the names that existed before the parameters
    cell — names added since then that are not declared are reported as unknown. Raises ValueError
    (unknown or missing name, unknown profile, bad seed/device) or TypeError (wrong type).
    """
    profiles = tuple(profiles)
    missing_common = [name for name in COMMON if name not in defaults]
    if missing_common:
        raise ValueError(f"the declared parameters must include {COMMON}; missing {missing_common}")
    from_history = _names_from_history(namespace)
    if from_history is not None:
        candidates = from_history
    elif before is None:
        candidates = set(namespace)
    else:
        before = set(before)
        candidates = {
            name
            for name in namespace
            if name not in before and not name.startswith("_") and name not in ("In", "Out")
        }
    unknown = sorted(candidates - set(defaults))
    if unknown:
        raise ValueError(
            f"unknown notebook parameter(s) {unknown}; this notebook accepts {sorted(defaults)}"
        )
    missing = sorted(name for name in defaults if name not in namespace)
    if missing:
        raise ValueError(f"notebook parameter(s) {missing} are not defined (parameters cell edited?)")
    params = {name: _check_value(name, namespace[name], default) for name, default in defaults.items()}
    if params["profile"] not in profiles:
        raise ValueError(f"unknown profile {params['profile']!r}; choose one of {profiles}")
    if params["seed"] < 0:
        raise ValueError(f"seed must be a non-negative integer, got {params['seed']!r}")
    _check_device(params["device"])
    if not params["out_dir"]:
        raise ValueError("out_dir must be a non-empty path")
    return params


def _literal_assignments(source: str) -> set[str] | None:
    """Names assigned in ``source`` if it consists only of ``name = <literal>`` lines, else None."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    names: set[str] = set()
    for node in body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            return None
        try:
            ast.literal_eval(node.value)
        except ValueError:
            return None
        names.add(node.targets[0].id)
    return names if body else None


def _names_from_history(namespace: Mapping[str, Any]) -> set[str] | None:
    """Names assigned by the parameter cells executed just before this one (IPython only).

    Walks IPython's ``In`` back from the current cell over consecutive literal-assignment cells (the
    injected ``# Parameters`` cell, then the tagged parameters cell). None without a history.
    """
    history = namespace.get("In")
    if not isinstance(history, list) or len(history) < 2:
        return None
    names: set[str] = set()
    for source in reversed(history[-3:-1]):
        assigned = _literal_assignments(source)
        if assigned is None:
            break
        names |= assigned
    return names


def _check_device(device: str) -> None:
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device {device!r} is not a torch device ('cpu', 'cuda', 'cuda:0', …)") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available on this machine")


def resolve_path(path: str | os.PathLike) -> Path:
    """An absolute path as is; a relative one relative to the project root (not the notebook's
    working directory), so ``out_dir="figures"`` means the same folder from JupyterLab, Papermill or
    nbval."""
    from .cache import project_root

    path = Path(path).expanduser()
    return path if path.is_absolute() else (project_root() / path).resolve()
