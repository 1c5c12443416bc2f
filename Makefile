# everylayer.patch — the two commands of the README are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: help setup venv lab-up lab-down lab-status demo test sanity lint units integration test-matrix build clean

help:
	@echo "make demo   - set everything up, bring the lab up and run the main job"
	@echo "make test   - set everything up and run every test (sanity, lint, units, integration)"

setup:
	@scripts/setup.sh "$(PYTHON)" "$(VENV)"

lab-up: setup
	$(PY) -m lab up

lab-down:
	$(PY) -m lab down

lab-status:
	$(PY) -m lab status

demo: lab-up
	$(VENV)/bin/ansible-playbook playbooks/scan.yml

units: setup
	$(PY) -m pytest tests/unit

integration: lab-up
	$(PY) -m pytest tests/integration

test: setup
	$(MAKE) sanity lint units integration

build: setup
	$(VENV)/bin/ansible-galaxy collection build --force --output-path tests/output/build .
