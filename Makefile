# The two commands of the README. Both create .venv and install banksim into it when needed.
#   make run    install, then run the demo on the embedded SQLite store (./data)
#   make test   install, then lint and run the whole test suite (notebooks and the browser test included)
# Also: make lab (JupyterLab on the quick-start notebook), make explore (the explorer as a web app),
#       make notebooks (rebuild and re-execute the notebooks), make bench.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean lab explore notebooks

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (banksim)" >/dev/null
	touch $@

run: $(BIN)/.installed
	$(BIN)/banksim demo

lab: $(BIN)/.installed
	$(BIN)/jupyter lab notebooks/01_quickstart.ipynb

explore: $(BIN)/.installed
	$(BIN)/banksim explore

notebooks: $(BIN)/.installed
	$(BIN)/python tools/build_notebooks.py

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
	$(BIN)/python bench/bench_query.py
	$(BIN)/python bench/bench_reporting.py
	$(BIN)/python bench/bench_code_version.py
	$(BIN)/python bench/bench_cluster.py

clean:
	rm -rf $(VENV) data
