# sfb.pki developer entry points. Every target sets itself up from a fresh clone:
# it creates $(VENV) and installs requirements-dev.txt (Python 3.11, 3.12 or 3.13 + pip is all it needs).
SHELL := /bin/bash
# The first of python3.11, python3.12, python3.13, python3 whose version is 3.11 to 3.13; PYTHON=... picks
# another. CI (.ci/run) sets PYTHON to a 3.11.
PYTHON_CANDIDATES := python3.11 python3.12 python3.13 python3
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for p in $(PYTHON_CANDIDATES); do command -v $$p >/dev/null 2>&1 \
	&& $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null \
	&& { echo $$p; break; }; done)
endif
VENV ?= .venv
BUILD ?= .build
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The collection must sit at ansible_collections/sfb/pki for ansible to load it by FQCN.
COLLECTIONS := $(abspath $(BUILD))/collections
COLL_LINK := $(COLLECTIONS)/ansible_collections/sfb/pki

.PHONY: help venv collection test lint typecheck unit integration molecule lab bench clean wine-check \
	wine-check-if-present \
	sanity ansible-lint build package ee changelog changelog-lint windows-floor ci

# Release gates (see .ci/run). Each one works on a copy or a build product, never on the worktree.
GALAXY_VERSION = $(shell sed -n 's/^version: *//p' galaxy.yml)
DIST := $(abspath $(BUILD))/dist
TARBALL = $(DIST)/sfb-pki-$(GALAXY_VERSION).tar.gz
# ansible-test skips every file below a hidden directory, so the copy cannot live in .build.
SANITY_ROOT ?= $(or $(TMPDIR),/tmp)/sfb-pki-sanity-$(shell printf %s "$(CURDIR)" | cksum | cut -d' ' -f1)
SANITY_COLL := $(SANITY_ROOT)/ansible_collections/sfb/pki
INSTALLED := $(abspath $(BUILD))/installed
# ansible-test runs sanity with the venv's own Python version (3.11 in CI).
SANITY_PYTHON ?= $(shell $(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo 3.11)
# ansible-test keeps its cache and sanity virtualenvs under ~/.ansible/test; it gets a private home in
# .build (kept between runs) so the user's home is never written. pip still reads the user's pip.conf.
SANITY_HOME ?= $(abspath $(BUILD))/sanity-home
GET_PIP := $(SANITY_HOME)/.ansible/test/cache/get_pip_24_2.py
PIP_CONF := $(firstword $(PIP_CONFIG_FILE) $(wildcard $(or $(XDG_CONFIG_HOME),$(HOME)/.config)/pip/pip.conf $(HOME)/.pip/pip.conf))
EE_CONTEXT := $(abspath $(BUILD))/ee
# Collections the lab loads sfb.pki from; `make package` points it at the installed tarball.
SFB_COLLECTIONS_PATH ?= $(COLLECTIONS)
export SFB_COLLECTIONS_PATH

help:
	@echo "make lab            - build the simulated estate, audit, remediate, audit again, print the report path"
	@echo "make test           - lint, type check, unit and simulator integration tests, wine-check when Wine is installed"
	@echo "make wine-check     - Wine's crypt32 reads every blob the lab writes; the codec decodes what Wine writes"
	@echo "make bench          - benchmark (writes bench/results/)"
	@echo "make sanity         - ansible-test sanity on a clean copy of the collection"
	@echo "make ansible-lint   - ansible-lint --offline, production profile, roles and playbooks"
	@echo "make package        - build the tarball, install it, run the lab against the installed copy"
	@echo "make ee             - ansible-builder create for execution-environment.yml"
	@echo "make changelog      - regenerate changelogs/changelog.yaml and CHANGELOG.md from the fragments"
	@echo "make changelog-lint - validate fragments and check changelog.yaml lists every fragment"
	@echo "make windows-floor  - check galaxy.yml's ansible.windows floor against the modules and options used"

$(STAMP): requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "need Python 3.11, 3.12 or 3.13: none of $(PYTHON_CANDIDATES) is one; set PYTHON=/path/to/python"; exit 1; }
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

# Only the test and lab commands put the simulated ansible.windows (tests/simulator) first.
SIM_COLLECTIONS = $(CURDIR)/tests/simulator:$(SFB_COLLECTIONS_PATH)

integration: $(STAMP) collection
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python -m pytest tests/integration -m integration -p no:cacheprovider

molecule: $(STAMP) collection
	@if [ ! -f playbooks/site.yml ]; then echo "molecule: playbooks/site.yml does not exist yet, skipped"; else \
	  $(BIN)/python tests/simulator/build.py lab $(BUILD)/molecule-sim && \
	  PATH=$(abspath $(BIN)):$$PATH ANSIBLE_COLLECTIONS_PATH=$(SIM_COLLECTIONS) $(BIN)/molecule test -s sim; fi

test: lint typecheck unit integration molecule wine-check-if-present

# An independent reader: Wine's crypt32 (Debian: wine64, gcc-mingw-w64-x86-64). See docs/testing.md.
WINE ?= wine
MINGW_CC ?= x86_64-w64-mingw32-gcc
WINE_EXE := $(BUILD)/wine/certstore.exe

$(WINE_EXE): tests/wine/certstore.c
	@mkdir -p $(dir $@)
	$(MINGW_CC) -O2 -Wall -Wextra -municode -o $@ $< -lcrypt32

wine-check: $(STAMP) collection $(WINE_EXE)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python tests/wine/check.py --exe $(WINE_EXE) --work $(BUILD)/wine

# CI sets SFB_REQUIRE_WINE=1 so that a missing tool chain fails instead of skipping.
wine-check-if-present:
	@if { command -v $(WINE) || command -v wine64 || test -x /usr/lib/wine/wine64; } >/dev/null 2>&1 \
	    && command -v $(MINGW_CC) >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory wine-check; \
	elif [ -n "$(SFB_REQUIRE_WINE)" ]; then \
	  echo "wine-check: FAILED (wine64 or x86_64-w64-mingw32-gcc not installed, SFB_REQUIRE_WINE is set)"; exit 1; \
	else echo "wine-check: SKIPPED (wine64 or x86_64-w64-mingw32-gcc not installed)"; fi

lab: $(STAMP) collection
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python tests/simulator/lab.py --out $(BUILD)/lab

bench: $(STAMP) collection
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python bench/run.py --out bench/results

# ansible-test insists on an ansible_collections/<ns>/<name> tree; it gets a copy that leaves out what
# galaxy.yml's build_ignore leaves out of the tarball. The pip bootstrap it would download is replaced
# by an offline one (ensurepip + pip install) so sanity runs without internet access.
sanity: $(STAMP)
	@mkdir -p $(dir $(GET_PIP))
	@test -f $(GET_PIP) || cp .ci/get_pip_offline.py $(GET_PIP)
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_COLL)
	$(BIN)/python .ci/build_ignore.py galaxy.yml > $(SANITY_ROOT)/excludes
	if command -v rsync >/dev/null; then rsync -a --exclude-from=$(SANITY_ROOT)/excludes ./ $(SANITY_COLL)/; \
	else $(BIN)/python .ci/build_ignore.py galaxy.yml . $(SANITY_COLL); fi
	cd $(SANITY_COLL) && PATH=$(abspath $(BIN)):$$PATH HOME=$(SANITY_HOME) XDG_CACHE_HOME=$(SANITY_HOME)/.cache \
		XDG_CONFIG_HOME=$(SANITY_HOME)/.config $(if $(PIP_CONF),PIP_CONFIG_FILE=$(PIP_CONF)) \
		ansible-test sanity --python $(SANITY_PYTHON) --color no --truncate 0 $(SANITY_ARGS)

# ansible-lint puts its cache dir (ANSIBLE_HOME) first on the collections path; a private one keeps a
# stray sfb.pki in ~/.ansible/collections from shadowing the worktree.
ansible-lint: $(STAMP) collection
	@mkdir -p $(BUILD)/ansible-home
	PATH=$(abspath $(BIN)):$$PATH ANSIBLE_HOME=$(abspath $(BUILD))/ansible-home \
		ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(BIN)/ansible-lint --offline -c .ansible-lint

build: $(STAMP)
	rm -rf $(DIST) && mkdir -p $(DIST)
	$(BIN)/ansible-galaxy collection build --output-path $(DIST) .

# Install the tarball next to nothing else and run the lab from there: proves build_ignore and packaging.
package: build
	rm -rf $(INSTALLED) && mkdir -p $(INSTALLED)
	ANSIBLE_COLLECTIONS_PATH=$(INSTALLED) $(BIN)/ansible-galaxy collection install --offline -p $(INSTALLED) $(TARBALL)
	$(BIN)/python .ci/check_package.py $(TARBALL) $(INSTALLED)/ansible_collections/sfb/pki
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python .ci/check_docs.py $(INSTALLED)
	$(MAKE) lab SFB_COLLECTIONS_PATH=$(INSTALLED)

ee: build
	rm -rf $(EE_CONTEXT) && mkdir -p $(BUILD)/ee-src
	cp $(TARBALL) $(BUILD)/ee-src/sfb-pki.tar.gz
	$(BIN)/ansible-builder create -f execution-environment.yml -c $(EE_CONTEXT) --output-filename Containerfile -v 2
	test -s $(EE_CONTEXT)/Containerfile && test -s $(EE_CONTEXT)/_build/collections/sfb-pki.tar.gz

# keep_fragments is on: every run re-reads all fragments into the (unreleased) current version.
changelog: $(STAMP) collection
	cd $(COLL_LINK) && PATH=$(abspath $(BIN)):$$PATH ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) \
		$(abspath $(BIN))/antsibull-changelog release --version $(GALAXY_VERSION) --update-existing \
		--refresh --reload-plugins $(if $(CHANGELOG_DATE),--date $(CHANGELOG_DATE))

changelog-lint: $(STAMP)
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
	$(BIN)/python .ci/changelog_check.py changelogs

# galaxy.yml's ansible.windows floor must be the lowest version with every module and option used.
windows-floor: $(STAMP)
	$(BIN)/python .ci/windows_floor.py .

ci: test sanity ansible-lint package ee changelog-lint windows-floor

clean:
	rm -rf $(BUILD) .pytest_cache .mypy_cache .ruff_cache .coverage

# The estate report over 200 hosts x 60 certificates (timings in bench/results/audit_report.md).
.PHONY: bench-report
bench: bench-report
bench-report: $(STAMP) collection
	$(BIN)/python bench/audit_report.py --hosts 200 --certificates 60 --out bench/results
