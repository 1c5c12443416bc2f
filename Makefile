# everylayer.patch - the two commands of the README are `make demo` and `make test`.
# Run as root on Debian/Ubuntu. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# VENV selects the virtualenv (.venv = Python 3.11 + ansible-core 2.19; .venv-py312/.venv-py313 for
# the version matrix). PYTHON is the interpreter a missing VENV is created with.
VENV ?= .venv
PYTHON ?= $(if $(filter .venv-py3%,$(VENV)),$(shell scripts/find-python.sh $(patsubst .venv-py3%,3.%,$(VENV))),python3)
PY := $(VENV)/bin/python
MATRIX_VENVS := .venv-py312 .venv-py313
PYTEST_UNIT_WORKERS ?= 2
PYTHON_PATHS := plugins lab tests benchmarks scripts extensions

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: help setup lab-up lab-down lab-status demo test sanity lint units integration test-matrix build clean

help:
	@echo "make demo        set everything up, bring the lab up and run the main job (scripts/demo.sh)"
	@echo "make test        set everything up and run every check: sanity, lint, units, integration"
	@echo
	@echo "make setup       Debian packages, $(VENV) with requirements-dev.txt, .collections link (idempotent)"
	@echo "make lab-up | lab-down | lab-status    the local test estate (python -m lab)"
	@echo "make sanity      ansible-test sanity on a copy of the tree (ARGS='--test validate-modules')"
	@echo "make lint        ruff check + ruff format --check, ansible-lint (production), antsibull-changelog lint, shellcheck"
	@echo "make units       pytest tests/unit (parallel, $(PYTEST_UNIT_WORKERS) workers)"
	@echo "make integration pytest tests/integration against the lab (serial)"
	@echo "make test-matrix units + sanity on ansible-core 2.19/Python 3.11 and the newest core on Python 3.12, 3.13"
	@echo "make build       ansible-galaxy collection build into tests/output/build/"
	@echo "make clean       remove build/test output and caches in this checkout (never the lab state)"

setup:
	@scripts/setup.sh "$(PYTHON)" "$(VENV)"

lab-up: setup
	$(PY) -m lab up

lab-down:
	$(PY) -m lab down

lab-status:
	$(PY) -m lab status

# The main job (scripts/demo.sh): scan, a pilot -> staged -> full rollout with a fault injected, evidence report.
demo: lab-up
	VENV=$(VENV) scripts/demo.sh

# Every phase runs (one run shows every failure); the exit status is non-zero if any failed.
test:
	@scripts/phases.sh setup lab-up sanity lint units integration

sanity: setup
	VENV=$(VENV) scripts/sanity.sh $(ARGS)

# Each tool runs even if the one before failed; the target fails if any did.
lint: setup
	@rc=0; \
	echo "--- ruff check"; $(VENV)/bin/ruff check $(PYTHON_PATHS) || rc=1; \
	echo "--- ruff format --check"; $(VENV)/bin/ruff format --check $(PYTHON_PATHS) || rc=1; \
	echo "--- ansible-lint (profile: production, see .ansible-lint)"; $(VENV)/bin/ansible-lint || rc=1; \
	echo "--- antsibull-changelog lint"; $(VENV)/bin/antsibull-changelog lint || rc=1; \
	echo "--- shellcheck"; shellcheck scripts/*.sh .ci/run || rc=1; \
	exit $$rc

# pytest's exit status 5 ("no tests ran") is a failure here like any other non-zero status.
units: setup
	$(PY) -m pytest -n $(PYTEST_UNIT_WORKERS) tests/unit $(ARGS)

# Integration tests share the lab: serial.
integration: lab-up
	$(PY) -m pytest --durations=25 tests/integration $(ARGS)

test-matrix:
	@scripts/phases.sh "units" "sanity" \
		$(foreach v,$(MATRIX_VENVS),"setup VENV=$(v)" "units VENV=$(v)" "sanity VENV=$(v)")

build: setup
	$(VENV)/bin/ansible-galaxy collection build --force --output-path tests/output/build .

clean:
	rm -rf tests/output .pytest_cache .ruff_cache .ansible
	find . -path ./.venv -prune -o -path './.venv-*' -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -rf "$${XDG_CACHE_HOME:-$$HOME/.cache}/everylayer-sanity/$$(printf '%s' "$(CURDIR)" | sha256sum | cut -c1-12)"
