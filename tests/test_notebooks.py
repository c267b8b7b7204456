"""The notebooks: parameters, smoke runs through Papermill, nbval against committed references.

Every notebook is run in the smoke profile (its acceptance cell must pass) with outputs and cache in
temporary folders, so the committed paper figures in figures/ and the user's .cache/ are untouched.
"""

import ast
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import papermill as pm
import pytest

from autoencode_lib.notebook_params import check_parameters, resolve_path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"


def _discover() -> dict[str, str]:
    """{notebook stem: experiment module name} for every notebooks/NN_<topic>.py.

    The module is the one whose ``PARAMETERS`` the notebook passes to ``check_parameters``.
    """
    found = {}
    for path in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.py")):
        match = re.search(r"check_parameters\(globals\(\), (\w+)\.PARAMETERS", path.read_text())
        found[path.stem] = match.group(1) if match else None
    return found


NOTEBOOKS = _discover()
REFERENCE_DIR = ROOT / "notebooks" / "reference"
PROVENANCE_KEYS = {"seed", "profile", "parameters", "git_commit", "library_version", "versions", "device",
                   "runtime_seconds", "cache_key"}


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Cache and outputs in tmp_path (the kernel inherits the environment)."""
    monkeypatch.setenv("AUTOENCODE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "1")  # the venv's python3 kernel, not a user one
    return tmp_path


def nb_source(nb) -> str:
    return "\n".join(c.source for c in nb.cells)


def _as_ipynb(name: str, folder: Path) -> Path:
    nb = jupytext.read(NOTEBOOK_DIR / f"{name}.py")
    path = folder / f"{name}.ipynb"
    jupytext.write(nb, path)
    return path


def _execute(name: str, folder: Path, **parameters) -> nbformat.NotebookNode:
    source = _as_ipynb(name, folder)
    return pm.execute_notebook(
        str(source), str(folder / f"{name}.out.ipynb"), parameters=parameters, kernel_name="python3",
        cwd=str(ROOT / "notebooks"), progress_bar=False,
    )


# --------------------------------------------------------------------------- notebook structure
def _parameters(name: str) -> dict:
    module = NOTEBOOKS[name]
    assert module, f"notebooks/{name}.py must call check_parameters(globals(), <module>.PARAMETERS, ...)"
    return importlib.import_module(f"autoencode_lib.experiments.{module}").PARAMETERS


def _figure_stem(name: str) -> str:
    """notebooks/NN_<topic>.py writes figures/figNN_<topic>.{png,pdf,json} (the Makefile's rule)."""
    return f"fig{name}"


def test_figures_one_and_two_exist():
    assert {"01_architecture", "02_curve"} <= set(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_structure_and_parameters_cell(name):
    nb = jupytext.read(NOTEBOOK_DIR / f"{name}.py")
    assert nb.metadata["kernelspec"]["name"] == "python3"
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert markdown[0].startswith("# Figure ") and "Claims reproduced (SPEC §0)" in markdown[0]
    assert any(m.startswith("## Reconstruction notes") for m in markdown)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    declared = {}
    for node in ast.parse(tagged[0].source).body:
        assert isinstance(node, ast.Assign), "the parameters cell holds plain assignments only"
        declared[node.targets[0].id] = ast.literal_eval(node.value)
    assert declared == _parameters(name), "parameters cell and the experiment's PARAMETERS differ"
    assert f'"{_figure_stem(name)}"' in nb_source(nb), f"the notebook must save {_figure_stem(name)}"
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert any("check_parameters(" in c for c in code)
    assert any("# NBVAL_CHECK_OUTPUT" in c for c in code)
    assert "acceptance" in code[-1] and "assert" in code[-1], "the last cell is the acceptance cell"


# --------------------------------------------------------------------------- parameter checks
DEFAULTS = {"profile": "paper", "seed": 0, "device": "cpu", "out_dir": "figures", "lam": 1e-3,
            "use_cache": True}


def test_check_parameters_accepts_good_values():
    params = check_parameters(dict(DEFAULTS, profile="smoke", lam=1), DEFAULTS)
    assert params["lam"] == 1.0 and isinstance(params["lam"], float)


@pytest.mark.parametrize(
    "change, error, message",
    [
        ({"lamda": 1e-3}, ValueError, r"unknown notebook parameter\(s\) \['lamda'\]"),
        ({"profile": "fast"}, ValueError, r"unknown profile 'fast'; choose one of \('smoke', 'paper'\)"),
        ({"seed": "0"}, TypeError, r"'seed' must be of type int"),
        ({"seed": 1.5}, TypeError, r"'seed' must be of type int"),
        ({"use_cache": 1}, TypeError, r"'use_cache' must be of type bool"),
        ({"lam": "small"}, TypeError, r"'lam' must be of type float"),
        ({"seed": -1}, ValueError, r"seed must be a non-negative"),
        ({"device": "gpu0"}, ValueError, r"not a torch device"),
    ],
)
def test_check_parameters_rejects_bad_values(change, error, message):
    with pytest.raises(error, match=message):
        check_parameters(dict(DEFAULTS, **change), DEFAULTS)


def test_check_parameters_in_a_namespace_ignores_older_names():
    namespace = {"np": object(), "time": object()}
    before = set(namespace)
    namespace.update(DEFAULTS)
    assert check_parameters(namespace, DEFAULTS, before=before)["profile"] == "paper"
    namespace["typo"] = 1
    with pytest.raises(ValueError, match="typo"):
        check_parameters(namespace, DEFAULTS, before=before)
    del namespace["typo"], namespace["lam"]
    with pytest.raises(ValueError, match=r"\['lam'\] are not defined"):
        check_parameters(namespace, DEFAULTS, before=before)


def _history(*cells):
    return ["", "import time\n_names_before = set(globals())", *cells, "params = check_parameters(...)"]


def test_check_parameters_reads_the_injected_cell_from_the_ipython_history():
    params_cell = 'profile = "paper"  # comment\nseed = 0\ndevice = "cpu"\nout_dir = "figures"\n'
    injected = '# Parameters\nprofile = "smoke"\nlamda = 0.001\n'
    namespace = dict(DEFAULTS, lamda=1e-3, In=_history(params_cell, injected))
    with pytest.raises(ValueError, match=r"\['lamda'\]"):
        check_parameters(namespace, DEFAULTS, before={"In"})
    namespace["In"] = _history(params_cell, '# Parameters\nprofile = "smoke"\n')
    assert check_parameters(namespace, DEFAULTS, before={"In"})["profile"] == "paper"


def test_check_parameters_survives_a_rerun_in_jupyterlab():
    """After a full run, later cells' names (result, fig, ...) exist; re-running the parameters cell
    and the check cell must still pass, and a typo in the edited parameters cell is still caught."""
    params_cell = 'profile = "smoke"\nseed = 0\ndevice = "cpu"\nout_dir = "figures"\nlam = 1e-4\n'
    later = ["result = curve.run(profile=profile)", "fig = plotting.curve_figure(result)",
             'tol = {"max_mse": 0.1}\nassert True']
    namespace = dict(DEFAULTS, result=object(), fig=object(), tol={}, summary={"mse": 1.0})
    namespace["In"] = _history(params_cell, "params = check_parameters(...)", *later, params_cell)
    assert check_parameters(namespace, DEFAULTS, before={"In"})["lam"] == 1e-3
    namespace["In"][-2] = params_cell + "lamda = 1e-4\n"
    with pytest.raises(ValueError, match=r"\['lamda'\]"):
        check_parameters(namespace, DEFAULTS, before={"In"})


def test_resolve_path_is_relative_to_the_repository():
    assert resolve_path("figures") == ROOT / "figures"
    assert resolve_path("/tmp/x") == Path("/tmp/x")


@pytest.mark.parametrize(
    "name, parameters, message",
    [
        ("01_architecture", {"profile": "fast"}, "unknown profile 'fast'"),
        ("02_curve", {"profile": "smoke", "lamda": 1e-3}, "unknown notebook parameter(s) ['lamda']"),
        ("02_curve", {"profile": "smoke", "seed": "zero"}, "'seed' must be of type int"),
    ],
)
def test_bad_parameter_fails_the_papermill_run_with_a_clear_message(isolated, name, parameters, message):
    with pytest.raises(pm.PapermillExecutionError) as err:
        _execute(name, isolated, out_dir=str(isolated / "out"), **parameters)
    assert message in str(err.value)
    assert not (isolated / "out").exists(), "nothing is written when the parameters are bad"


# --------------------------------------------------------------------------- smoke runs
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_the_smoke_profile(isolated, name):
    figure = _figure_stem(name)
    out = isolated / "figures"
    nb = _execute(name, isolated, profile="smoke", seed=0, device="cpu", out_dir=str(out))
    last = nb.cells[-1]
    assert "acceptance: all checks passed" in "".join(o.get("text", "") for o in last.outputs)
    for suffix in (".png", ".pdf", ".json"):
        assert (out / f"{figure}{suffix}").stat().st_size > 0
    record = json.loads((out / f"{figure}.json").read_text())
    assert PROVENANCE_KEYS <= set(record)
    assert record["profile"] == "smoke" and record["parameters"]["out_dir"] == str(out)


# --------------------------------------------------------------------------- nbval references
def _nbval(paths, env_dir: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, AUTOENCODE_CACHE_DIR=str(env_dir / "nbval-cache"))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
           "--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "nbval_sanitize.cfg"),
           "--rootdir", str(env_dir), *map(str, paths)]
    return subprocess.run(cmd, cwd=env_dir, env=env, capture_output=True, text=True, timeout=600)


def _code_cells(nb) -> list[str]:
    return [c.source for c in nb.cells
            if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_reference_notebook_matches_its_source(name):
    path = REFERENCE_DIR / f"{name}.ipynb"
    assert path.exists(), f"no nbval reference for notebooks/{name}.py: run `make nbval-refs`"
    reference = nbformat.read(path, as_version=4)
    source = jupytext.read(NOTEBOOK_DIR / f"{name}.py")
    assert _code_cells(reference) == _code_cells(source), (
        f"notebooks/reference/{name}.ipynb is stale: run `make nbval-refs` and review the diff"
    )
    checked = [c for c in reference.cells if c.cell_type == "code" and "NBVAL_CHECK_OUTPUT" in c.source]
    assert checked and all(c.outputs for c in checked)


def test_nbval_reproduces_the_reference_numbers(tmp_path):
    result = _nbval(sorted(REFERENCE_DIR.glob("*.ipynb")), tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_nbval_fails_when_a_key_number_changes(tmp_path):
    nb = nbformat.read(REFERENCE_DIR / "01_architecture.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "NBVAL_CHECK_OUTPUT" in c.source)
    assert "params=      140" in cell.outputs[0]["text"]
    cell.outputs[0]["text"] = cell.outputs[0]["text"].replace("params=      140", "params=      141")
    tampered = tmp_path / "01_architecture.ipynb"
    nbformat.write(nb, tampered)
    shutil.copy(ROOT / "nbval_sanitize.cfg", tmp_path)
    result = _nbval([tampered], tmp_path)
    assert result.returncode != 0
    assert "Cell outputs differ" in result.stdout and "s=      141" in result.stdout
