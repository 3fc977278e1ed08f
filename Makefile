# habmodel: `make figures` and `make test` are the two commands of the quick start.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export MPLBACKEND := Agg

.PHONY: figures test lint docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e ".[test]"
	touch $@

figures: $(VENV)/.installed
	$(BIN)/python scripts/make_figures.py --out figures

test: $(VENV)/.installed
	$(BIN)/python -m pytest

docs: $(VENV)/.installed
	$(BIN)/python -m sphinx -W -b html docs/api docs/_build/api
	@echo "API reference: docs/_build/api/index.html"

lint: $(VENV)/.installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) figures build dist docs/_build .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -name '*.egg-info' -type d -prune -exec rm -rf {} +
