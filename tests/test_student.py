"""Student versions (tools/student.py, `make student`): solutions are replaced by exercise stubs,
no solution text leaks, and the student notebook still runs up to its first exercise."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import papermill as pm
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
# Figure notebooks that must offer an exercise (the others are reported as skipped until they do).
WITH_EXERCISES = {"01_architecture", "02_curve", "03_leak", "04_mixture", "05_landscape", "06_methods",
                  "07_limits", "08_mnist"}

_spec = importlib.util.spec_from_file_location("student", ROOT / "tools" / "student.py")
student = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(student)


def _tags(cell):
    return cell.metadata.get("tags", [])


def _toy():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('profile = "paper"  # or "smoke"\nout_dir = "figures"  # relative')
    params.metadata["tags"] = ["parameters"]
    solution = nbformat.v4.new_code_cell("secret_answer = 6 * 7\nprint(secret_answer)")
    solution.metadata["tags"] = ["solution"]
    answer = nbformat.v4.new_markdown_cell("*Answer:* the hidden prediction is forty-two")
    answer.metadata["tags"] = ["solution"]
    partial = nbformat.v4.new_code_cell(
        "x = 1\nif x:\n    # BEGIN SOLUTION\n    y = hidden_partial(x)\n    # END SOLUTION\nprint(x)"
    )
    nb.cells = [nbformat.v4.new_markdown_cell("# Toy"), params, nbformat.v4.new_code_cell("print(1)"),
                solution, answer, partial]
    return nb


def test_solution_cells_and_blocks_become_stubs():
    nb = _toy()
    before = nbformat.writes(nb)
    out = student.make_student(nb)
    assert nbformat.writes(nb) == before, "the teacher's notebook is not modified"
    kinds = [(c.cell_type, c.source) for c in out.cells]
    assert kinds[3] == ("code", student.CODE_STUB) and _tags(out.cells[3]) == ["exercise"]
    assert kinds[4] == ("markdown", student.MARKDOWN_STUB) and _tags(out.cells[4]) == ["exercise"]
    assert out.cells[5].source == "x = 1\nif x:\n    # EXERCISE: your code here\nprint(x)"
    assert out.cells[1].source.splitlines()[1] == 'out_dir = "build/student/figures"  # relative'
    text = nbformat.writes(out)
    for line in student.solution_texts(nb):
        assert line not in text
    assert {"secret_answer = 6 * 7", "*Answer:* the hidden prediction is forty-two",
            "y = hidden_partial(x)"} <= set(student.solution_texts(nb))
    assert "print(secret_answer)" in student.solution_texts(nb)
    assert "print(x)" not in student.solution_texts(nb), "a line also outside the solutions is not secret"


def test_unbalanced_markers_are_errors():
    nb = _toy()
    nb.cells[5].source = "# BEGIN SOLUTION\nx = 1"
    with pytest.raises(ValueError, match="without"):
        student.make_student(nb)


def test_set_parameters_rejects_unknown_names():
    with pytest.raises(ValueError, match="not assigned"):
        student.make_student(_toy(), {"lamda": "1e-3"})


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_figure_notebook_offers_an_exercise(name):
    nb = jupytext.read(ROOT / "notebooks" / f"{name}.py")
    solutions = [c for c in nb.cells if student.is_solution(c)]
    if not solutions and name not in WITH_EXERCISES:
        pytest.skip(f"{name} has no cell tagged 'solution' yet")
    assert any(c.cell_type == "code" for c in solutions), f"{name}: no solution code cell"
    first = nb.cells.index(solutions[0])
    assert nb.cells[first - 1].cell_type == "markdown" and "Exercise" in nb.cells[first - 1].source
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not student.is_solution(code[-1]), "the acceptance cell stays last and is not a solution"


def test_make_student_writes_ipynb_and_py_without_solution_text(tmp_path):
    sources = [ROOT / "notebooks" / f"{name}.py" for name in NOTEBOOKS]
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "student.py"), "--out", str(tmp_path),
                             *map(str, sources)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for source in sources:
        teacher = jupytext.read(source)
        secrets = student.solution_texts(teacher)
        for suffix in (".ipynb", ".py"):
            path = tmp_path / f"{source.stem}{suffix}"
            text = path.read_text()
            leaked = [line for line in secrets if line in text]
            assert not leaked, f"{path.name} leaks solution text: {leaked[:3]}"
        nb = nbformat.read(tmp_path / f"{source.stem}.ipynb", as_version=4)
        nbformat.validate(nb)
        exercises = [c for c in nb.cells if "exercise" in _tags(c)]
        assert len(exercises) == sum(student.is_solution(c) for c in teacher.cells)
        assert not any("solution" in _tags(c) for c in nb.cells)
        assert [c.source for c in jupytext.read(tmp_path / f"{source.stem}.py").cells] == [
            c.source for c in nb.cells]
        if source.stem in WITH_EXERCISES:
            assert exercises


def test_student_notebook_runs_up_to_its_first_exercise(tmp_path, monkeypatch):
    """01_architecture (fast: no training): every cell up to and including the first stub runs."""
    monkeypatch.setenv("AUTOENCODE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "1")
    nb = student.make_student(jupytext.read(ROOT / "notebooks" / "01_architecture.py"))
    first = next(i for i, c in enumerate(nb.cells) if "exercise" in _tags(c))
    assert nb.cells[first].source == student.CODE_STUB
    nb.cells = nb.cells[: first + 1]
    source = tmp_path / "01_student.ipynb"
    nbformat.write(nb, source)
    out = tmp_path / "figures"
    executed = pm.execute_notebook(str(source), str(tmp_path / "01_student.out.ipynb"), kernel_name="python3",
                                   parameters={"profile": "smoke", "out_dir": str(out)},
                                   cwd=str(tmp_path), progress_bar=False)
    assert executed.cells[-1].source == student.CODE_STUB
    assert (out / "fig01_architecture.png").stat().st_size > 0
