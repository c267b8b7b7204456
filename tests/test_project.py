"""The project's own files: README example, environment.yml against pyproject.toml, CI script."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch"}


def _name_and_spec(requirement: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert m, requirement
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_readme_example_runs():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has no python example"
    namespace: dict = {}
    for block in blocks:  # one namespace: later examples use the earlier ones' names
        exec(compile(block, "README.md", "exec"), namespace)


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    text = (ROOT / "README.md").read_text()
    assert "make figures" in text and "make test" in text
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_environment_yml_agrees_with_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_name_and_spec(r) for r in pyproject["dependencies"])
    wanted.update(_name_and_spec(r) for r in pyproject["optional-dependencies"]["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda: dict[str, str] = {}
    pip: list[str] = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip.extend(dep.get("pip", []))
            continue
        name, spec = _name_and_spec(dep)
        conda[CONDA_NAMES.get(name, name)] = spec
    assert "-e ." in pip, "environment.yml must install the project itself (pip: -e .)"
    assert conda.pop("python") == ">=" + pyproject["requires-python"].lstrip(">=")
    assert "pip" in conda and conda.pop("pip") == ""
    assert conda == wanted


def test_constraints_pin_the_cpu_torch():
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    assert "torch==2.13.0" in lines
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    torch_req = [r for r in pyproject["dependencies"] if r.startswith("torch")]
    assert torch_req and "==" not in torch_req[0], "pyproject keeps a loose torch range"
