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
	@echo "make figures [PROFILE=paper|smoke]  regenerate every figure into figures/"
	@echo "make test                           run every test (library + notebooks, smoke profile)"
	@echo "make fig01 ... make fig02           rebuild one figure"
	@echo "make bench | lab | clean-cache | lint"

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
	$(PY) -m ruff check autoencode_lib tests notebooks

clean-cache:
	rm -rf .cache

clean:
	rm -rf build .cache .pytest_cache

figures: $(STAMP)
	@echo "no figure notebooks yet"
