"""Provenance records written next to each figure."""

import json
import subprocess

from autoencode_lib import provenance

KEYS = {
    "figure", "notebook", "profile", "seed", "parameters", "device", "runtime_seconds", "cache_key",
    "cache_hit", "git_commit", "git_dirty", "library_version", "versions", "platform", "timestamp",
}


def _record(**extra):
    return provenance.collect(
        figure="fig99_test", notebook="notebooks/99_test.py", profile="smoke", seed=3,
        parameters={"profile": "smoke", "seed": 3, "lam": 1e-3}, device="cpu", runtime_seconds=1.23456,
        cache_key="abc", cache_hit=True, **extra,
    )


def test_record_has_every_field_and_round_trips(tmp_path):
    record = _record(extra={"summary": {"mse": 0.01}})
    assert KEYS <= set(record)
    assert record["seed"] == 3 and record["profile"] == "smoke" and record["runtime_seconds"] == 1.235
    assert set(record["versions"]) == {"python", "torch", "torchdiffeq"}
    path = provenance.write_provenance(tmp_path / "sub" / "fig.json", record)
    assert json.loads(path.read_text()) == record
    assert not list(tmp_path.rglob("*.tmp"))


def test_git_commit_in_this_checkout():
    info = provenance.git_info()
    inside = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).returncode == 0
    if inside:
        assert len(info["commit"]) == 40 and isinstance(info["dirty"], bool)


def test_not_a_git_repository_is_handled(tmp_path):
    assert provenance.git_info(tmp_path) == {"commit": None, "dirty": None}


def test_git_missing_is_handled(tmp_path, monkeypatch):
    def no_git(*args, **kwargs):
        raise FileNotFoundError("git")

    monkeypatch.setattr(provenance.subprocess, "run", no_git)
    assert provenance.git_info(tmp_path) == {"commit": None, "dirty": None}
    record = _record()
    assert record["git_commit"] is None and record["git_dirty"] is None


def test_non_json_values_are_stringified(tmp_path):
    record = provenance.collect(
        figure="f", notebook="n", profile="smoke", seed=0, parameters={"path": tmp_path, "obj": object()},
        device="cpu", runtime_seconds=0.0,
    )
    json.dumps(record)
    assert record["parameters"]["path"] == str(tmp_path)


def test_dirty_ignores_the_figure_outputs(tmp_path):
    import subprocess

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "fig.json").write_text("{}")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    assert provenance.git_info(tmp_path)["dirty"] is False
    (tmp_path / "figures" / "fig.json").write_text('{"new": 1}')
    assert provenance.git_info(tmp_path)["dirty"] is False  # figures are outputs
    (tmp_path / "code.py").write_text("x = 2\n")
    assert provenance.git_info(tmp_path)["dirty"] is True


def test_publish_writes_the_figure_and_its_record(tmp_path):
    import json
    import time
    from types import SimpleNamespace

    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2))
    fig.add_subplot().plot([0, 1], [1, 0])
    params = {"profile": "smoke", "seed": 3, "device": "cpu", "out_dir": str(tmp_path)}
    paths = provenance.publish(fig, "fig09_test", tmp_path, params, started=time.perf_counter(),
                               result=SimpleNamespace(cache_key="abc", cache_hit=True), extra={"n": 1})
    assert [p.name for p in paths] == ["fig09_test.png", "fig09_test.pdf", "fig09_test.json"]
    record = json.loads((tmp_path / "fig09_test.json").read_text())
    assert record["notebook"] == "notebooks/09_test.py"
    assert (record["profile"], record["seed"], record["device"]) == ("smoke", 3, "cpu")
    assert (record["cache_key"], record["cache_hit"], record["extra"]) == ("abc", True, {"n": 1})
    assert record["runtime_seconds"] >= 0
