# habmodel: `make figures` and `make test` are the two commands of the quick start.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export MPLBACKEND := Agg

.PHONY: figures test lint docs clean browser app

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e ".[test,app]"
	touch $@

figures: $(VENV)/.installed
	$(BIN)/python scripts/make_figures.py --out figures

test: $(VENV)/.installed browser
	$(BIN)/python -m pytest

# Debian's Chromium and ChromeDriver, for the browser test of `habmodel app`
# (tests/test_app.py). Installed with apt-get where it is available (as root, or with
# sudo); where it is not, the test is skipped and says why.
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "make browser: installing Debian's chromium and chromium-driver"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null 2>&1 && \
	    $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null; } || \
	  echo "make browser: could not install chromium; the browser test will be skipped"; \
	else echo "make browser: no apt-get here; the browser test will be skipped"; fi

# The browser lab: http://127.0.0.1:5006/
app: $(VENV)/.installed
	$(BIN)/habmodel app

docs: $(VENV)/.installed
	$(BIN)/python -m sphinx -W -b html docs/api docs/_build/api
	@echo "API reference: docs/_build/api/index.html"

lint: $(VENV)/.installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) figures build dist docs/_build .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -name '*.egg-info' -type d -prune -exec rm -rf {} +
