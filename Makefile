# habmodel: `make figures` and `make test` are the two commands of the quick start.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export MPLBACKEND := Agg

.PHONY: figures test lint docs clean system app lab wasm student

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e ".[test,neuron,neuroml]"
	touch $@

figures: $(VENV)/.installed
	$(BIN)/python scripts/make_figures.py --out figures

# The suite on every core (pytest-xdist; at most 4 workers). One worker: make test JOBS=0
JOBS ?= auto
test: $(VENV)/.installed system
	$(BIN)/python -m pytest -n $(JOBS) --maxprocesses=4 --dist worksteal

# What the tests need from Debian: Chromium and ChromeDriver (the browser lab's tests),
# clang, lld and the WASI C library (the WebAssembly kernel), Node.js (the lab's modules),
# a Java runtime (jNeuroML, for the NeuroML export's tests).
# Installed only when make runs as root (CI, containers); a normal user is shown the one
# apt command instead, and the tests that need these packages say why they skip.
DEBIAN_PACKAGES := chromium chromium-driver clang lld wasi-libc libclang-rt-dev-wasm32 nodejs \
                   default-jre-headless

system:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -z "$$missing" ]; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	  echo "make: no apt-get here; tests that need $$missing will be skipped"; \
	elif [ "$$(id -u)" != 0 ]; then \
	  echo "make: some tests need Debian packages; as root run:"; \
	  echo "  apt-get install $$(echo $$missing)"; \
	else \
	  echo "make: installing Debian packages:" $$missing; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q $$missing >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $$missing >/dev/null; } || \
	  echo "make: could not install $$missing; the tests that need them will be skipped"; \
	fi

# The browser lab, served from this machine: http://127.0.0.1:8000/
app: $(VENV)/.installed
	$(BIN)/habmodel app

# The static lab as a folder for any web server: lab/
lab: $(VENV)/.installed
	$(BIN)/habmodel lab --out lab

# The student edition of the teaching notebooks (answers replaced by empty cells): build/student/
student: $(VENV)/.installed
	$(BIN)/python scripts/make_student.py

# Rebuild the packaged WebAssembly kernel after a change of the model or the generator
wasm: $(VENV)/.installed system
	$(BIN)/python scripts/build_wasm.py

docs: $(VENV)/.installed
	$(BIN)/python -m sphinx -W -b html docs/api docs/_build/api
	@echo "API reference: docs/_build/api/index.html"

lint: $(VENV)/.installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) figures build dist docs/_build .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -name '*.egg-info' -type d -prune -exec rm -rf {} +
