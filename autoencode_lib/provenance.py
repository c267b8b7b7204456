"""Provenance records written next to every figure (``figures/figNN_<name>.json``)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["git_info", "collect", "publish", "write_provenance"]


def git_info(root: str | os.PathLike | None = None) -> dict[str, Any]:
    """``{"commit": sha or None, "dirty": bool or None}``; ``None``s when not in a git checkout.

    ``dirty``: tracked files other than the outputs under ``figures/`` differ from the commit (the
    figures themselves change as ``make figures`` writes them, which says nothing about the code).
    """
    from .cache import project_root

    cwd = Path(root) if root is not None else project_root()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10
        )
        if commit.returncode != 0:
            return {"commit": None, "dirty": None}
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)figures"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    return {"commit": commit.stdout.strip(), "dirty": dirty}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, Path):
        return str(value)
    return repr(value)


def collect(
    *,
    figure: str,
    notebook: str,
    profile: str,
    seed: int,
    parameters: Mapping[str, Any],
    device: str,
    runtime_seconds: float,
    cache_key: str | None = None,
    cache_hit: bool | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The provenance record of one figure as a JSON-ready dict."""
    import torch

    from . import __version__

    try:
        import torchdiffeq

        tde_version = getattr(torchdiffeq, "__version__", "unknown")
    except ImportError:  # pragma: no cover
        tde_version = None
    git = git_info()
    record = {
        "figure": figure,
        "notebook": notebook,
        "profile": profile,
        "seed": seed,
        "parameters": _jsonable(dict(parameters)),
        "device": device,
        "runtime_seconds": round(float(runtime_seconds), 3),
        "cache_key": cache_key,
        "cache_hit": cache_hit,
        "git_commit": git["commit"],
        "git_dirty": git["dirty"],
        "library_version": __version__,
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "torchdiffeq": tde_version,
        },
        "platform": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if extra:
        record["extra"] = _jsonable(dict(extra))
    return record


def write_provenance(path: str | os.PathLike, record: Mapping[str, Any]) -> Path:
    """Write ``record`` as indented JSON (atomically: temp file + ``os.replace``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=False) + "\n")
    os.replace(tmp, path)
    return path


def publish(
    fig: Any,
    stem: str,
    out_dir: str | os.PathLike,
    parameters: Mapping[str, Any],
    *,
    started: float,
    result: Any = None,
    extra: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write a notebook's figure: ``<out_dir>/<stem>.png`` and ``.pdf`` plus its provenance
    ``<stem>.json``; return the three paths.

    ``parameters`` are the notebook's checked parameters (they hold ``profile``, ``seed`` and
    ``device``); ``started`` is the notebook's ``time.perf_counter()`` at its first cell; ``result``,
    when given, supplies ``cache_key`` and ``cache_hit``. The notebook is ``notebooks/<NN_topic>.py``
    for the stem ``figNN_topic``.
    """
    from .notebook_params import resolve_path
    from .plotting import save_figure

    out = resolve_path(out_dir)
    paths = list(save_figure(fig, out, stem))
    record = collect(
        figure=stem,
        notebook=f"notebooks/{stem.removeprefix('fig')}.py",
        profile=parameters["profile"],
        seed=parameters["seed"],
        parameters=parameters,
        device=parameters["device"],
        runtime_seconds=time.perf_counter() - started,
        cache_key=getattr(result, "cache_key", None),
        cache_hit=getattr(result, "cache_hit", None),
        extra=extra,
    )
    paths.append(write_provenance(out / f"{stem}.json", record))
    print("wrote", *(p.name for p in paths))
    return paths
