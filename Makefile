# Two commands on a fresh machine: `make demo` (the lab plus an experiment, ending in a report)
# and `make test`. Everything else is set up by the `setup` target they depend on.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup test test-all lint format demo bench clean

setup: $(STAMP)

# Re-installs only when the project metadata changes, so repeated `make test` is fast.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

test: setup
	$(BIN)/python -m pytest -q -m 'not live and not bench'

lint: setup
	$(BIN)/ruff format --check cdevops_chaos tests
	$(BIN)/ruff check cdevops_chaos tests
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format cdevops_chaos tests
	$(BIN)/ruff check --fix cdevops_chaos tests

demo: setup
	$(BIN)/python -m cdevops_chaos.demo

bench: setup
	$(BIN)/python -m pytest -q -m bench tests/bench -s

clean:
	rm -rf $(VENV) .cdevops .pytest_cache .mypy_cache .ruff_cache
