"""Student versions of the notebooks: solutions replaced by exercise stubs (``make student``).

The teacher's notebook is the Jupytext source ``notebooks/NN_<topic>.py``; it runs end to end with
the solutions in place (so ``make figures`` and ``make test`` check them). Two markers hide a solution:

- a cell tagged ``solution`` (``# %% tags=["solution"]``) is replaced by a stub cell tagged
  ``exercise``: a code cell by ``# EXERCISE: your code here`` and ``...`` (so *Run All* still runs the
  rest of the notebook), a Markdown cell (e.g. the expected answer to "predict first") by
  ``**Your prediction / answer:** …``;
- inside any code cell, the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` are replaced
  by ``# EXERCISE: your code here`` (for a solution that is part of a cell).

It lives in ``tools/``, not in ``autoencode_lib``: the result cache is keyed on the library's
source, and a teaching tool must not invalidate trained results.

Nothing of a solution is kept: not its source, outputs, or metadata. The ``parameters`` cell gets
``out_dir = "build/student/figures"`` so a student's run never overwrites the committed figures
(``--set NAME=VALUE`` changes that or any other parameter default, e.g. ``--set profile='"smoke"'``).

Usage::

    python tools/student.py [--out build/student] [--set NAME=VALUE ...] notebooks/NN_*.py

writes ``<out>/NN_<topic>.ipynb`` and ``<out>/NN_<topic>.py`` for each notebook and prints a summary.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import jupytext
import nbformat

__all__ = [
    "SOLUTION_TAG", "EXERCISE_TAG", "BEGIN", "END", "CODE_STUB", "MARKDOWN_STUB", "DEFAULT_SET",
    "is_solution", "solution_texts", "make_student", "write_student", "main",
]

SOLUTION_TAG = "solution"
EXERCISE_TAG = "exercise"
BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
CODE_STUB = "# EXERCISE: your code here (see the exercise above). Predict the result first, then run.\n..."
MARKDOWN_STUB = "**Your prediction / answer:** …"
PART_STUB = "# EXERCISE: your code here"
# Defaults changed in the student's parameters cell (values are Python literals, as source text).
DEFAULT_SET = {"out_dir": '"build/student/figures"'}


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def is_solution(cell) -> bool:
    return SOLUTION_TAG in _tags(cell)


def _strip_partial(source: str) -> tuple[str, list[str]]:
    """Replace every ``# BEGIN SOLUTION`` … ``# END SOLUTION`` block; return (source, removed lines)."""
    out, removed, inside, indent = [], [], False, ""
    for line in source.splitlines():
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"nested {BEGIN!r}")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            out.append(indent + PART_STUB)
        elif marker == END:
            if not inside:
                raise ValueError(f"{END!r} without {BEGIN!r}")
            inside = False
        elif inside:
            removed.append(line)
        else:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN!r} without {END!r}")
    return "\n".join(out), removed


def solution_texts(nb) -> list[str]:
    """The source lines that a student version must not contain: every non-blank line of a solution
    (cell or marked block) that does not also occur outside the solutions (``print(...)`` may)."""
    hidden, visible = [], set()
    for cell in nb.cells:
        if is_solution(cell):
            hidden += cell.source.splitlines()
            continue
        kept, removed = (_strip_partial(cell.source) if cell.cell_type == "code" else (cell.source, []))
        hidden += removed
        visible.update(line.strip() for line in kept.splitlines())
    return [line.strip() for line in hidden if line.strip() and line.strip() not in visible]


def _set_parameters(source: str, values: dict[str, str]) -> str:
    """Rewrite ``name = value`` assignments of the parameters cell (comments after them are kept)."""
    lines = source.splitlines()
    for name, value in values.items():
        ast.literal_eval(value)  # a literal, as papermill would inject
        pattern = re.compile(rf"^{re.escape(name)}\s*=\s*[^#]*?(\s*#.*)?$")
        for i, line in enumerate(lines):
            m = pattern.match(line)
            if m:
                lines[i] = f"{name} = {value}{m.group(1) or ''}"
                break
        else:
            raise ValueError(f"parameter {name!r} is not assigned in the parameters cell")
    return "\n".join(lines)


def make_student(nb, set_parameters: dict[str, str] | None = None):
    """A student copy of the Jupytext notebook ``nb`` (the input is not modified)."""
    values = dict(DEFAULT_SET if set_parameters is None else set_parameters)
    student = copy.deepcopy(nb)
    cells = []
    for cell in student.cells:
        tags = _tags(cell)
        if SOLUTION_TAG in tags:
            new_tags = [t for t in tags if t != SOLUTION_TAG] + [EXERCISE_TAG]
            text = CODE_STUB if cell.cell_type == "code" else MARKDOWN_STUB
            stub = nbformat.from_dict({"cell_type": cell.cell_type, "source": text,
                                       "metadata": {"tags": list(dict.fromkeys(new_tags))}})
            if cell.cell_type == "code":
                stub.update(outputs=[], execution_count=None)
            if "id" in cell:
                stub["id"] = cell["id"]
            cells.append(stub)
            continue
        if cell.cell_type == "code":
            cell.source, removed = _strip_partial(cell.source)
            if removed:
                cell.metadata["tags"] = list(dict.fromkeys(tags + [EXERCISE_TAG]))
            if cell.get("outputs"):
                cell.outputs = []
                cell.execution_count = None
            if "parameters" in tags and values:
                cell.source = _set_parameters(cell.source, values)
        cells.append(cell)
    student.cells = cells
    student.metadata.setdefault("jupytext", {})
    return student


def exercise_count(nb) -> int:
    return sum(EXERCISE_TAG in _tags(c) for c in nb.cells)


def write_student(source: Path, out_dir: Path, set_parameters: dict[str, str] | None = None) -> list[Path]:
    """Write ``out_dir/<stem>.ipynb`` and ``out_dir/<stem>.py`` for the notebook ``source``."""
    nb = jupytext.read(source)
    student = make_student(nb, set_parameters)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{source.stem}.ipynb", out_dir / f"{source.stem}.py"]
    jupytext.write(student, paths[0])
    jupytext.write(student, paths[1], fmt="py:percent")
    leaked = [line for line in solution_texts(nb) for p in paths if line in p.read_text()]
    if leaked:  # a solution line that is also, e.g., in a stub: refuse rather than leak
        for p in paths:
            p.unlink()
        raise RuntimeError(f"{source}: solution text would leak into the student version: {leaked[:3]}")
    return paths


def _parse_set(items: Iterable[str]) -> dict[str, str]:
    values = dict(DEFAULT_SET)
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            raise SystemExit(f"--set expects NAME=VALUE (a Python literal), got {item!r}")
        try:
            ast.literal_eval(value)
        except (ValueError, SyntaxError):
            value = repr(value)  # a bare word: taken as a string
        values[name] = value
    return values


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/student.py", description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="Jupytext sources, e.g. notebooks/NN_*.py")
    parser.add_argument("--out", type=Path, default=Path("build/student"), help="output folder")
    parser.add_argument("--set", dest="values", action="append", default=[], metavar="NAME=VALUE",
                        help='default of a notebook parameter in the student version (default: out_dir)')
    args = parser.parse_args(argv)
    values = _parse_set(args.values)
    for source in args.notebooks:
        paths = write_student(source, args.out, values)
        n = exercise_count(jupytext.read(paths[0]))
        note = "" if n else "  (no exercise: no cell tagged 'solution')"
        print(f"{source} -> {paths[0]} + .py: {n} exercise cell(s){note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
