# The commands people remember; CI calls the same targets.
#   make plan          offline plan of both stacks (resources, cost, findings, diagram)
#   make test          the whole test suite (creates .venv and installs what tests need)
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# .venv is installed from the lock (exact versions, sha256 of every file); edit the
# requirements*.txt files, then `make lock` re-resolves the locks.
VENV_LOCK := requirements-dev.lock

.PHONY: help venv debs test lint format typecheck check clean

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'

$(STAMP): $(VENV_LOCK)
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes -r $(VENV_LOCK)
	@touch $@

venv: $(STAMP) ## create .venv with the program's and the tools' packages

debs: ## install the Debian packages the tests need (PostgreSQL, Prometheus, ...)
	@scripts/ensure-debs.sh

test: venv debs ## run the whole test suite
	$(PY) -m pytest

lint: venv ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv ## apply ruff's formatting and safe fixes
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: venv ## mypy --strict over every package; the bootstrap program is its own run
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --explicit-package-bases bootstrap

check: lint typecheck test ## everything CI runs that needs no AWS

clean: ## remove caches and generated files (keeps .venv)
	rm -rf .pytest_cache .mypy_cache .ruff_cache build coverage.xml .coverage

# Each area adds its own targets in mk/<area>.mk.
include $(wildcard mk/*.mk)
