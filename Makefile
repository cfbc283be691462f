# The course's three commands: `make install`, `make build`, `make test` (see README.md).
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)

.PHONY: install build check test screenshots

install:  ## Graphviz's dot (Debian), a virtual environment with the pinned packages, MNIST unpacked
	command -v dot >/dev/null || { apt-get update && apt-get install -y graphviz; }
	test -x $(BIN)/python || python3.11 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/corso data

build:  ## rebuild release/, solutions/ and notebooks/ from source/
	$(BIN)/corso build

check:  ## fail, naming each stale generated file, if source/ and the generated folders disagree
	$(BIN)/corso build --check

test:  ## the full test suite: tooling, build, grading round trips, nbval on every solution
	$(BIN)/pytest

screenshots:  ## refresh the README's screenshots (docs/screenshots/*.png) from a real JupyterLab session
	CORSO_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/test_browser.py
