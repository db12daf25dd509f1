# sfb.pki developer entry points. Every target sets itself up from a fresh clone:
# it creates $(VENV) and installs requirements-dev.txt (Python 3.11 + pip is all it needs).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BUILD ?= .build
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The collection must sit at ansible_collections/sfb/pki for ansible to load it by FQCN.
COLLECTIONS := $(abspath $(BUILD))/collections
COLL_LINK := $(COLLECTIONS)/ansible_collections/sfb/pki

.PHONY: help venv collection test lint typecheck unit lab bench clean

help:
	@echo "make lab    - build the simulated estate, audit, remediate, audit again, print the report path"
	@echo "make test   - lint, type check, unit and simulator integration tests"
	@echo "make bench  - benchmark (writes bench/results/)"

$(STAMP): requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

venv: $(STAMP)

collection:
	@mkdir -p $(dir $(COLL_LINK))
	@ln -sfn $(CURDIR) $(COLL_LINK)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) collection
	cd $(COLLECTIONS) && $(abspath $(BIN))/mypy -p ansible_collections.sfb.pki.plugins.module_utils

unit: $(STAMP) collection
	$(BIN)/python -m pytest tests/unit --cov --cov-report=term --cov-fail-under=90

test: lint typecheck unit

lab: $(STAMP) collection
	@echo "no capabilities yet"

bench: $(STAMP) collection
	@echo "no benchmark yet"

clean:
	rm -rf $(BUILD) .pytest_cache .mypy_cache .ruff_cache .coverage

# The estate report over 200 hosts x 60 certificates (timings in bench/results/audit_report.md).
.PHONY: bench-report
bench: bench-report
bench-report: $(STAMP) collection
	$(BIN)/python bench/audit_report.py --hosts 200 --certificates 60 --out bench/results
