# stp-workbook: `make demo` runs the whole chain on the demo data, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CUSTOMERS ?= 5000

.PHONY: demo test test-fast lint lab clean-reports

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/seglib demo --out data/demo --customers $(CUSTOMERS)
	$(BIN)/seglib run data/demo/config.yaml

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check seglib tests notebooks

clean-reports:
	rm -rf reports/*/

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/
