# autoencode — companion to "From NeurODEs to AutoencODEs".
# The two commands a reader needs:  make figures   and   make test
# Both create .venv when it is missing and install from this repo's own files
# (pyproject.toml + constraints.txt); the install is skipped while those files are unchanged.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= paper
SEED ?= 0
DEVICE ?= cpu
EXTRAS ?= test

# Stamp keyed on the contents of the dependency files (not their mtimes: a fresh clone has new mtimes).
DEPS_HASH := $(shell cat pyproject.toml constraints.txt 2>/dev/null | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(EXTRAS)-$(DEPS_HASH)

.PHONY: help venv figures test test-fast lint bench clean clean-cache lab
.DEFAULT_GOAL := help

help:
	@echo "make figures [PROFILE=paper|smoke]  regenerate every figure (paper: figures/, smoke: build/figures-smoke/)"
	@echo "make test                           run every test (library + notebooks, smoke profile)"
	@echo "make fig01 ... make fig02           rebuild one figure (or make figures/fig02_curve.png)"
	@echo "make notebooks                      paired .ipynb next to each notebooks/NN_*.py"
	@echo "make nbval-refs [NB=02_curve]       regenerate the nbval reference notebooks"
	@echo "make lab | test-lab                 JupyterLab with Jupytext (own venv .venv-lab) | its server test"
	@echo "make student                        student notebooks (solutions -> exercises) in build/student/"
	@echo "make bench [FULL=1] | bench-quick   speed and memory vs baselines (BENCHMARKS.md); FULL=1 adds make figures/test"
	@echo "make bench | clean-cache | lint"

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[$(EXTRAS)]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@rm -f $(VENV)/.installed-*
	@touch $@

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check autoencode_lib tests notebooks bench

clean-cache:
	rm -rf .cache build/nbval-cache

clean:
	rm -rf build .cache .pytest_cache

# ---------------------------------------------------------------- benchmarks (BENCHMARKS.md)
# Speed and memory as ratios against baselines measured in the same run; writes
# bench/results/<date>-<commit>.json and prints the table. FULL=1 adds the end-to-end part
# (make figures cold and warm, make test) in a fresh clone that reuses this venv. BENCH_ARGS: more options.
BENCH_ARGS ?=
bench: $(STAMP)
	$(PY) bench/run.py $(if $(FULL),--end-to-end --venv $(abspath $(VENV))) $(BENCH_ARGS)

bench-quick: $(STAMP)
	$(PY) bench/run.py --quick $(BENCH_ARGS)
.PHONY: bench-quick

# ---------------------------------------------------------------- notebooks and figures
# notebooks/NN_<topic>.py (Jupytext percent format) is the source of truth. Each figure rule converts
# it to build/notebooks/<profile>/NN_<topic>.ipynb, executes that with Papermill into
# build/executed/<profile>/, and the notebook writes <FIGDIR>/figNN_<name>.{png,pdf,json}.
# PROFILE=paper (default) writes the committed figures/; any other profile writes
# build/figures-<profile>/ so a quick run never overwrites them. The rules always run (FORCE):
# expensive results come from the .cache/ (make clean-cache), so a rerun only re-plots.
FIGDIR := $(if $(filter paper,$(PROFILE)),figures,build/figures-$(PROFILE))
EXECDIR := build/executed/$(PROFILE)
PAPERMILL := JUPYTER_PREFER_ENV_PATH=1 $(PY) -m papermill --kernel python3 --cwd notebooks --no-progress-bar
NOTEBOOK_SOURCES := $(wildcard notebooks/[0-9][0-9]_*.py)

# $(1) notebook stem, $(2) figure stem, $(3) short target
define FIGURE_RULE
$(FIGDIR)/$(2).png: notebooks/$(1).py $(STAMP) FORCE
	@mkdir -p build/notebooks/$(PROFILE) $(EXECDIR) $(FIGDIR)
	$(PY) -m jupytext --quiet --to ipynb --output build/notebooks/$(PROFILE)/$(1).ipynb notebooks/$(1).py
	$(PAPERMILL) build/notebooks/$(PROFILE)/$(1).ipynb $(EXECDIR)/$(1).ipynb \
	  -p profile $(PROFILE) -p seed $(SEED) -p device $(DEVICE) -p out_dir $(FIGDIR)
$(FIGDIR)/$(2).pdf $(FIGDIR)/$(2).json: $(FIGDIR)/$(2).png
$(3): $(FIGDIR)/$(2).png
.PHONY: $(3)
all-figures: $(FIGDIR)/$(2).png
endef

$(eval $(call FIGURE_RULE,01_architecture,fig01_architecture,fig01))
$(eval $(call FIGURE_RULE,02_curve,fig02_curve,fig02))
$(eval $(call FIGURE_RULE,03_leak,fig03_leak,fig03))
$(eval $(call FIGURE_RULE,04_mixture,fig04_mixture,fig04))
$(eval $(call FIGURE_RULE,05_landscape,fig05_landscape,fig05))
$(eval $(call FIGURE_RULE,06_methods,fig06_methods,fig06))
$(eval $(call FIGURE_RULE,07_limits,fig07_limits,fig07))
$(eval $(call FIGURE_RULE,08_mnist,fig08_mnist,fig08))

# `make figures` runs JOBS notebooks at a time (default 2, one per core: the small models train on
# one thread each). The install runs first, alone.
JOBS ?= 2
figures: $(STAMP)
	@$(MAKE) --no-print-directory -j$(JOBS) all-figures
all-figures:
	@echo "figures ($(PROFILE) profile) in $(FIGDIR)/; executed notebooks in $(EXECDIR)/"
.PHONY: all-figures

FORCE:
.PHONY: FORCE notebooks nbval-refs

# Paired .ipynb next to each .py (generated, not committed: see README) for opening in JupyterLab.
# One way (.py -> .ipynb, keeping outputs of an existing .ipynb): the .py files are never rewritten.
notebooks: $(STAMP)
	$(PY) -m jupytext --to ipynb --update $(NOTEBOOK_SOURCES)

# Reference outputs for nbval (committed): each notebook executed in the smoke profile, outputs kept
# only on the cells marked NBVAL_CHECK_OUTPUT. Regenerate after a deliberate change of those numbers.
# One notebook only: make nbval-refs NB=02_curve
NB ?= $(basename $(notdir $(NOTEBOOK_SOURCES)))
nbval-refs: $(STAMP)
	@mkdir -p build/notebooks/reference notebooks/reference
	@for nb in $(NB); do \
	  echo "reference: $$nb"; \
	  $(PY) -m jupytext --quiet --to ipynb --output build/notebooks/reference/$$nb.ipynb notebooks/$$nb.py && \
	  AUTOENCODE_CACHE_DIR=$(abspath build/nbval-cache) $(PAPERMILL) build/notebooks/reference/$$nb.ipynb \
	    notebooks/reference/$$nb.ipynb -p profile smoke -p seed 0 -p device cpu -p out_dir build/nbval && \
	  $(PY) notebooks/reference/strip_unchecked.py notebooks/reference/$$nb.ipynb || exit 1; \
	done

# ---------------------------------------------------------------- teaching: JupyterLab, student versions
# JupyterLab lives in its own venv, .venv-lab (extras `lab` + `test`, pinned by the same constraints.txt),
# never in the test venv .venv: there it would slow every notebook tool. `make lab` serves the repository
# with Jupytext (notebooks/*.py open as notebooks, saving keeps the .py/.ipynb pair in sync);
# `make test-lab` runs tests/test_lab.py there (`make test` skips it: no JupyterLab in .venv).
LAB_VENV ?= .venv-lab
LAB_PY := $(LAB_VENV)/bin/python
LAB_STAMP := $(LAB_VENV)/.installed-lab-$(DEPS_HASH)
LAB_SETTINGS := $(LAB_VENV)/share/jupyter/lab/settings/overrides.json
LAB_ARGS ?=
LAB_ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

$(LAB_STAMP): pyproject.toml constraints.txt
	@test -x $(LAB_PY) || $(PYTHON) -m venv $(LAB_VENV)
	@echo '*' > $(LAB_VENV)/.gitignore
	$(LAB_PY) -m pip install --quiet --upgrade pip
	$(LAB_PY) -m pip install --quiet -c constraints.txt -e '.[test,lab]'
	$(LAB_PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@rm -f $(LAB_VENV)/.installed-*
	@touch $@

# Lab settings (tools/lab/overrides.json): a double-click on a .py opens it as a notebook.
$(LAB_SETTINGS): tools/lab/overrides.json $(LAB_STAMP)
	@mkdir -p $(dir $@)
	cp $< $@

lab-venv: $(LAB_STAMP) $(LAB_SETTINGS)

lab: lab-venv
	@echo "JupyterLab: open the http://127.0.0.1:.../lab?token=... URL printed below; Ctrl-C (twice) stops it"
	JUPYTER_PREFER_ENV_PATH=1 $(LAB_PY) -m jupyterlab --no-browser $(LAB_ROOT_FLAG) \
	  --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=$(CURDIR) --ContentsManager.preferred_dir=notebooks $(LAB_ARGS)

test-lab: lab-venv
	$(LAB_PY) -m pytest -q tests/test_lab.py

# Student versions: cells tagged `solution` become exercise stubs (tools/student.py; notebooks/README.md).
student: $(STAMP)
	$(PY) tools/student.py --out build/student $(NOTEBOOK_SOURCES)
	@echo "student notebooks in build/student/ (hand out the .ipynb; the .py is its Jupytext twin)"

.PHONY: lab-venv test-lab student
