"""The experiment cache: hits, misses on config / library / version change, corruption, atomicity."""

import os
import warnings
from pathlib import Path

import pytest
import torch

from autoencode_lib import cache as cache_mod
from autoencode_lib.cache import CacheWarning, cache_key, cached, library_source_hash


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("AUTOENCODE_CACHE_DIR", str(d))
    return d


class Counter:
    def __init__(self, value=None):
        self.calls = 0
        default = {"w": torch.arange(6.0).reshape(2, 3), "hist": [{"a": 1.0}]}
        self.value = value if value is not None else default

    def __call__(self):
        self.calls += 1
        return self.value


def test_env_var_sets_the_cache_dir(cache_dir):
    assert cache_mod.cache_dir() == cache_dir.resolve()


def test_miss_then_hit_returns_the_same_value(cache_dir):
    compute = Counter()
    first = cached("exp", {"n": 3}, compute, verbose=False)
    second = cached("exp", {"n": 3}, compute, verbose=False)
    assert compute.calls == 1
    assert not first.hit and second.hit
    assert first.key == second.key and second.path.parent == cache_dir / "exp"
    assert torch.equal(second.value["w"], compute.value["w"])
    assert second.value["hist"] == [{"a": 1.0}]


def test_config_change_is_a_miss(cache_dir):
    compute = Counter()
    cached("exp", {"n": 3, "lam": 1e-3}, compute, verbose=False)
    other = cached("exp", {"n": 3, "lam": 1e-4}, compute, verbose=False)
    assert compute.calls == 2 and not other.hit
    # key order in the config does not matter
    assert cache_key("exp", {"a": 1, "b": 2}, "src") == cache_key("exp", {"b": 2, "a": 1}, "src")


def test_library_source_change_is_a_miss(cache_dir, tmp_path):
    pkg = tmp_path / "fakepkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "b.py").write_text("y = 2\n")
    before = library_source_hash(pkg)
    (pkg / "sub" / "b.py").write_text("y = 3\n")  # a nested file counts too
    after = library_source_hash(pkg)
    assert before != after
    compute = Counter()
    cached("exp", {"n": 1}, compute, source_hash=before, verbose=False)
    assert cached("exp", {"n": 1}, compute, source_hash=before, verbose=False).hit
    assert not cached("exp", {"n": 1}, compute, source_hash=after, verbose=False).hit
    assert compute.calls == 2


def test_default_source_hash_covers_the_real_library(monkeypatch):
    key = cache_key("exp", {"n": 1})
    monkeypatch.setattr(cache_mod, "library_source_hash", lambda package_dir=None: "changed")
    assert cache_key("exp", {"n": 1}) != key


def test_torch_version_is_part_of_the_key(monkeypatch):
    key = cache_key("exp", {"n": 1}, "src")
    monkeypatch.setattr(cache_mod, "_versions", lambda: {"torch": "0.0", "torchdiffeq": "0.0"})
    assert cache_key("exp", {"n": 1}, "src") != key


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_corrupt_entry_is_reported_and_recomputed(cache_dir, damage):
    compute = Counter()
    entry = cached("exp", {"n": 2}, compute, verbose=False)
    data = entry.path.read_bytes()
    if damage == "truncate":
        entry.path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        entry.path.write_bytes(data[:-10] + bytes(b ^ 0xFF for b in data[-10:]))
    elif damage == "garbage":
        entry.path.write_bytes(b"not a cache entry at all")
    else:
        entry.path.write_bytes(b"")
    with pytest.warns(CacheWarning, match="unusable"):
        again = cached("exp", {"n": 2}, compute, verbose=False)
    assert not again.hit and compute.calls == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rewritten entry is valid again
        assert cached("exp", {"n": 2}, compute, verbose=False).hit


def test_failing_compute_leaves_no_entry(cache_dir):
    def boom():
        raise RuntimeError("training crashed")

    with pytest.raises(RuntimeError, match="crashed"):
        cached("exp", {"n": 5}, boom, verbose=False)
    assert not list(cache_dir.rglob("*.pt")) and not list(cache_dir.rglob("*.tmp"))


def test_interrupted_write_leaves_no_partial_entry(cache_dir, monkeypatch):
    """An interruption while writing (here: os.replace never happens) leaves no trusted entry and
    no temporary file; the next run recomputes."""
    real_replace = os.replace

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(cache_mod.os, "replace", interrupted)
    compute = Counter()
    with pytest.raises(KeyboardInterrupt):
        cached("exp", {"n": 6}, compute, verbose=False)
    assert not list(cache_dir.rglob("*.pt")) and not list(cache_dir.rglob("*.tmp"))
    monkeypatch.setattr(cache_mod.os, "replace", real_replace)
    assert not cached("exp", {"n": 6}, compute, verbose=False).hit
    assert compute.calls == 2


def test_stale_temp_file_from_a_killed_run_is_ignored(cache_dir):
    """A leftover temp file (a process killed mid-write) is never read as an entry."""
    compute = Counter()
    key = cache_key("exp", {"n": 7})
    (cache_dir / "exp").mkdir(parents=True)
    (cache_dir / "exp" / f".{key}.abc.tmp").write_bytes(b"AUTOENCODE-CACHE-1\nhalf")
    assert not cached("exp", {"n": 7}, compute, verbose=False).hit


def test_disabled_cache_always_computes_and_writes_nothing(cache_dir):
    compute = Counter()
    cached("exp", {"n": 8}, compute, enabled=False, verbose=False)
    cached("exp", {"n": 8}, compute, enabled=False, verbose=False)
    assert compute.calls == 2 and not cache_dir.exists()


def test_bad_name_and_unserialisable_config():
    with pytest.raises(ValueError, match="plain"):
        cache_key("../escape", {})
    with pytest.raises(TypeError, match="JSON"):
        cache_key("exp", {"f": object()})


def test_curve_experiment_rerun_hits_the_cache(cache_dir):
    from autoencode_lib.experiments import curve

    first = curve.run("smoke", seed=0, iterations=3, n=16)
    second = curve.run("smoke", seed=0, iterations=3, n=16)
    assert not first.cache_hit and second.cache_hit and first.cache_key == second.cache_key
    assert second.summary() == first.summary()
    assert not curve.run("smoke", seed=1, iterations=3, n=16).cache_hit


def test_profile_config_applies_overrides_and_names_mistakes():
    import pytest

    from autoencode_lib.experiments.common import profile_config

    profiles = {"smoke": {"n": 4, "iterations": 10}, "paper": {"n": 64, "iterations": 400}}
    config = profile_config(profiles, "smoke", n=8, iterations=None)
    assert config == {"n": 8, "iterations": 10} and profiles["smoke"]["n"] == 4
    with pytest.raises(ValueError, match=r"unknown profile 'fast'; choose one of \('smoke', 'paper'\)"):
        profile_config(profiles, "fast")
    with pytest.raises(TypeError, match=r"unknown setting\(s\) \['steps'\]"):
        profile_config(profiles, "paper", steps=3)
