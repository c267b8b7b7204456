"""Trim an executed notebook into an nbval reference (used by `make nbval-refs`).

Keeps the outputs of the cells marked ``# NBVAL_CHECK_OUTPUT`` (the key numbers nbval compares in
``--nbval-lax`` mode) and drops every other output, execution count and Papermill timing, so the
committed reference is small and its diff shows only a change in those numbers.
"""

import sys

import nbformat

MARK = "NBVAL_CHECK_OUTPUT"


def strip(path: str) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if MARK not in cell.source:
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("papermill", None)
    nb.metadata.get("widgets", {}).clear()
    nbformat.write(nb, path)


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        strip(arg)
