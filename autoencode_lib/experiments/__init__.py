"""One module per figure: a ``run(...)`` compute function (keyword defaults, seeded, cached) and the
``PARAMETERS`` its notebook declares. Notebooks call these and the plotting modules; they contain no
algorithm of their own. Import the module you need (``from autoencode_lib.experiments import curve``);
nothing is imported here, so a notebook only pays for its own figure.

| figure | module | notebook |
|---|---|---|
| 1 | :mod:`.architecture` | ``notebooks/01_architecture.py`` |
| 2 | :mod:`.curve` | ``notebooks/02_curve.py`` |
| 3 | :mod:`.leak` | ``notebooks/03_leak.py`` |
| 4 | :mod:`.mixture` | ``notebooks/04_mixture.py`` |
| 5 | :mod:`.landscape` | ``notebooks/05_landscape.py`` |
| 6 | :mod:`.methods` | ``notebooks/06_methods.py`` |
| 7 | :mod:`.limits` | ``notebooks/07_limits.py`` |
| 8 | :mod:`.mnist` | ``notebooks/08_mnist.py`` |
"""

__all__ = ["architecture", "curve", "leak", "mixture", "landscape", "methods", "limits", "mnist"]
