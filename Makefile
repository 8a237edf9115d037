# The two commands of the README. Both create .venv and install banksim into it when needed.
#   make run    install, then run the demo on the embedded SQLite store (./data)
#   make test   install, then lint and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/banksim demo

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

bench: $(BIN)/.installed
	$(BIN)/python bench/bench_store.py
	$(BIN)/python bench/bench_portfolio.py
	$(BIN)/python bench/bench_rwa.py
	$(BIN)/python bench/bench_liquidity.py

clean:
	rm -rf $(VENV) data
