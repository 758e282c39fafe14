# Two commands on a fresh machine: `make demo` (the lab plus an experiment, ending in a report)
# and `make test`. Everything else is set up by the `setup` target they depend on.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup test test-lab lint format demo bench clean

setup: $(STAMP)

# Re-installs only when the project metadata changes, so repeated `make test` is fast.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Fast suite: unit tests plus tests against moto server over HTTP. pytest exit 5 (no tests
# collected) is a failure here, as it is in CI. Four workers even on two cores: most tests wait
# on I/O (CLI subprocesses, moto over HTTP, live labs), so two workers left the cores half idle
# (4 min 11 s against 6 min 13 s for -n 2, same load). worksteal: an idle worker takes queued
# tests from a busy one, so the run does not end on one worker's backlog of long tests.
test: setup
	$(BIN)/python -m pytest -q -n 4 --dist worksteal -m 'not live and not bench and not lab'

# End-to-end runs against the embedded lab (each starts and stops its own lab on free ports).
test-lab: setup
	$(BIN)/python -m pytest -q -m lab

# ruff (format, rules incl. "only the CLIs print"), the import contracts in pyproject.toml
# (the product never imports the lab, reports and recovery never call AWS, recovery does no I/O),
# mypy on both packages and on the scenarios' code, and plain mypy on the tests.
lint: setup
	$(BIN)/ruff format --check cdevops_chaos cdevops_lab scenarios tests
	$(BIN)/ruff check cdevops_chaos cdevops_lab scenarios tests
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy --strict
	$(BIN)/mypy --strict scenarios/*/*.py
	$(BIN)/mypy tests

format: setup
	$(BIN)/ruff format cdevops_chaos cdevops_lab scenarios tests
	$(BIN)/ruff check --fix cdevops_chaos cdevops_lab scenarios tests

# The main job on the embedded default: start the lab (a local simulated region), lose one
# Availability Zone through FIS, measure recovery, write the report, stop the lab.
demo: setup
	$(BIN)/cdevops-chaos lab up
	@rc=0; $(BIN)/cdevops-chaos run experiments/lab/az-loss.yaml --target lab --yes || rc=$$?; \
	  $(BIN)/cdevops-chaos lab down; \
	  echo "demo finished (run exit code $$rc: see the verdict table in README.md)"; exit $$rc

bench: setup
	$(BIN)/python -m pytest -q -m bench tests/bench -s

clean:
	rm -rf $(VENV) .cdevops .pytest_cache .mypy_cache .ruff_cache
