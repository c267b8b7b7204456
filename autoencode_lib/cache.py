"""On-disk cache for expensive experiment results (trained controls, histories).

An entry is keyed by a SHA-256 of

* the experiment name and its configuration (a JSON-serialisable dict),
* the source text of every ``autoencode_lib/**/*.py`` file (so any library change recomputes),
* the torch and torchdiffeq versions.

Each entry is one file ``<cache dir>/<name>/<key>.pt`` laid out as::

    b"AUTOENCODE-CACHE-1\\n" + <64 hex chars: sha256 of payload> + b"\\n" + <payload: torch.save bytes>

It is written to a temporary file in the same directory and moved into place with ``os.replace``, so
an interrupted run never leaves a half-written entry under the final name. On read the checksum is
verified; a truncated or corrupt entry is reported (a :class:`CacheWarning`), deleted and recomputed.

The cache directory is ``.cache/`` at the project root, or ``$AUTOENCODE_CACHE_DIR`` when set.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

__all__ = [
    "CacheWarning",
    "CachedResult",
    "cache_dir",
    "cache_key",
    "cached",
    "library_source_hash",
    "project_root",
]

MAGIC = b"AUTOENCODE-CACHE-1\n"
ENV_VAR = "AUTOENCODE_CACHE_DIR"
PACKAGE_DIR = Path(__file__).resolve().parent


class CacheWarning(UserWarning):
    """A cache entry was unreadable (truncated, corrupt, wrong format) and is being recomputed."""


@dataclass(frozen=True)
class CachedResult:
    """What :func:`cached` returns: the value, whether it came from disk, and where it lives."""

    value: Any
    key: str
    hit: bool
    path: Path
    seconds: float  # compute time on a miss, load time on a hit


def project_root() -> Path:
    """The repository root (the folder holding ``autoencode_lib/``); with a non-editable install,
    the current directory."""
    root = PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").exists() else Path.cwd()


def cache_dir() -> Path:
    """``$AUTOENCODE_CACHE_DIR`` if set, else ``<project root>/.cache``."""
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser().resolve() if env else project_root() / ".cache"


def library_source_hash(package_dir: str | os.PathLike | None = None) -> str:
    """SHA-256 over the relative path and text of every ``*.py`` file under the package, sorted."""
    base = Path(package_dir) if package_dir is not None else PACKAGE_DIR
    digest = hashlib.sha256()
    for path in sorted(base.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(base).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    try:
        import torchdiffeq

        tde = getattr(torchdiffeq, "__version__", "unknown")
    except ImportError:  # pragma: no cover - torchdiffeq is a hard dependency
        tde = "missing"
    return {"torch": torch.__version__, "torchdiffeq": tde}


def _canonical(config: Mapping[str, Any]) -> str:
    try:
        return json.dumps(config, sort_keys=True, separators=(",", ":"), allow_nan=True)
    except TypeError as err:
        raise TypeError(
            f"cache config must be JSON-serialisable (numbers, strings, lists, dicts): {err}"
        ) from err


def cache_key(name: str, config: Mapping[str, Any], source_hash: str | None = None) -> str:
    """Hex key of (name, config, library source, torch/torchdiffeq versions)."""
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        raise ValueError(f"cache name must be a plain non-empty string, got {name!r}")
    material = {
        "name": name,
        "config": json.loads(_canonical(config)),
        "source": library_source_hash() if source_hash is None else source_hash,
        "versions": _versions(),
    }
    return hashlib.sha256(_canonical(material).encode()).hexdigest()[:32]


def _write_atomic(path: Path, value: Any) -> None:
    buffer = io.BytesIO()
    torch.save(value, buffer)
    payload = buffer.getvalue()
    checksum = hashlib.sha256(payload).hexdigest().encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC)
            fh.write(checksum + b"\n")
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_verified(path: Path) -> Any:
    """The stored value; raises ValueError when the entry is not a complete, intact entry."""
    data = path.read_bytes()
    if not data.startswith(MAGIC):
        raise ValueError("bad header (not an autoencode cache entry)")
    rest = data[len(MAGIC) :]
    checksum, sep, payload = rest.partition(b"\n")
    if not sep or len(checksum) != 64:
        raise ValueError("truncated header")
    if hashlib.sha256(payload).hexdigest().encode() != checksum:
        raise ValueError(f"checksum mismatch ({len(payload)} payload bytes; truncated or corrupt)")
    return torch.load(io.BytesIO(payload), weights_only=True)


def cached(
    name: str,
    config: Mapping[str, Any],
    compute: Callable[[], Any],
    *,
    enabled: bool = True,
    directory: str | os.PathLike | None = None,
    source_hash: str | None = None,
    verbose: bool = True,
) -> CachedResult:
    """Return ``compute()``'s value, from ``<cache dir>/<name>/<key>.pt`` when a valid entry exists.

    ``compute`` must return something ``torch.load(weights_only=True)`` can read back: tensors,
    numbers, strings, and lists/tuples/dicts of them. ``enabled=False`` always computes and never
    writes (the key is still reported, for provenance).
    """
    key = cache_key(name, config, source_hash=source_hash)
    root = Path(directory) if directory is not None else cache_dir()
    path = root / name / f"{key}.pt"
    if enabled and path.exists():
        start = time.perf_counter()
        try:
            value = _read_verified(path)
        except Exception as err:  # corrupt / truncated / unreadable: report, drop, recompute
            message = f"cache entry {path} is unusable ({err}); recomputing"
            warnings.warn(message, CacheWarning, stacklevel=2)
            path.unlink(missing_ok=True)
        else:
            seconds = time.perf_counter() - start
            if verbose:
                print(f"[cache] hit  {name} {key[:12]} (loaded in {seconds:.2f} s)")
            return CachedResult(value, key, True, path, seconds)
    start = time.perf_counter()
    value = compute()
    seconds = time.perf_counter() - start
    if enabled:
        _write_atomic(path, value)
    if verbose:
        state = "stored" if enabled else "cache disabled"
        print(f"[cache] miss {name} {key[:12]} (computed in {seconds:.1f} s, {state})")
    return CachedResult(value, key, False, path, seconds)
