# evalkit: every habit has a target. `make demo` and `make test` do all set-up from a
# fresh clone (a .venv beside this file, installed from constraints.txt).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PIP_FLAGS := --disable-pip-version-check --quiet
OUT ?= build/demo
AXE_VERSION := 4.11.0

.PHONY: demo test lint lab bench sample chromium axe clean help

help:
	@echo "make demo   - set up .venv and render the sample dashboards into $(OUT)"
	@echo "make test   - set up .venv with every extra (and Chromium, axe-core) and run all tests"
	@echo "make lint   - ruff, mypy, import-linter and the architecture check"
	@echo "make lab    - JupyterLab on notebooks/"
	@echo "make bench  - benchmarks, figures in benchmarks/RESULTS.md"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install $(PIP_FLAGS) --upgrade pip

# Stamps: re-install when pyproject.toml or constraints.txt change.
$(VENV)/.installed-base: pyproject.toml constraints.txt | $(PY)
	$(PIP) install $(PIP_FLAGS) -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(PY)
	$(PIP) install $(PIP_FLAGS) -c constraints.txt -e '.[dev,dask]'
	@touch $@ $(VENV)/.installed-base

demo: $(VENV)/.installed-base
	$(VENV)/bin/evalkit demo --out $(OUT)

# Debian's chromium for the browser tests; installed when missing and we may (root or
# passwordless sudo). Otherwise the browser tests fail under CI and skip locally.
chromium:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	else echo "note: /usr/bin/chromium missing and cannot install it (not root)"; exit 0; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null

# axe-core (accessibility rules) from npm, injected into pages by the browser tests.
axe: node_modules/axe-core/axe.min.js
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

test: $(VENV)/.installed-dev chromium axe
	$(PY) -m pytest

# Layer contracts in pyproject.toml [tool.importlinter]; circles, module sizes, guarded
# imports and page text in tools/check_architecture.py (see ARCHITECTURE.md).
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check evalkit tests benchmarks tools/check_architecture.py
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache
	$(PY) tools/check_architecture.py

lab: $(VENV)/.installed-base
	$(VENV)/bin/jupyter lab notebooks/

sample: $(VENV)/.installed-base
	$(VENV)/bin/evalkit sample --out data/sample --seed 7

bench: $(VENV)/.installed-dev
	$(PY) benchmarks/run.py

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache .hypothesis
