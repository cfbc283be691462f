# The course's commands (see README.md):
#   students and instructors: `make install` (lessons and grading), then `make demo`, `make build`, `corso grade`, ...
#   maintainers:              `make install-dev`, then `make test` (what CI runs)
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
PYTHON ?= python3.11
export PATH := $(BIN):$(PATH)
# Debian/Ubuntu packages: Graphviz's dot and bubblewrap (the grading sandbox); the browser and the database
# server the tests drive, and git (the edition's zip dates are its commits' times, which a test reads).
SYSTEM := graphviz bubblewrap
SYSTEM_DEV := graphviz bubblewrap chromium postgresql git nodejs npm sudo
# `corso classroom`: Node runs JupyterHub's proxy (npm installs it from classroom/package-lock.json).
SYSTEM_CLASSROOM := nodejs npm
LOCK := pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links
# The students' lock, requirements/student.txt: the course's runtime resolved once for every platform and
# Python >= 3.11.5 (uv's `--universal` writes each platform-only package with its environment marker, and
# treats `--python-version` as the lower bound), constrained to the exact versions of requirements/course.txt.
# 3.11.5, not 3.11: soupsieve 4.1.3 requires it (nbgrader 0.9.6 requires >= 3.11). uv does not read pip's
# configuration (pip.conf, PIP_*), so pip's constraint file and local indexes do not enter it (uv's
# docs/pip/compatibility.md, "Configuration files and environment variables"; `uv pip compile --help`, uv 0.13.9;
# --python-version as the lower bound in --universal: uv 0.2.18's release notes, astral-sh/uv#4597).
STUDENT_LOCK := uv pip compile --quiet --universal --python-version 3.11.5 --generate-hashes --no-emit-index-url \
	--custom-compile-command "make lock"

.PHONY: install install-dev classroom platforms system system-dev venv demo build check test lock gpu-bundle gpu-check \
	screenshots

install: system  ## lessons and grading: Graphviz, a venv with the locked runtime, MNIST unpacked
	$(MAKE) venv LOCKFILE=requirements/course.txt

install-dev: system-dev  ## maintainers: everything the test suite needs, from the locked dev set
	$(MAKE) venv LOCKFILE=requirements/dev.txt
	$(MAKE) classroom
	$(MAKE) platforms

classroom:  ## the classroom server's proxy (after `make install`): Node and configurable-http-proxy, locked
	@bash tools/system-packages $(SYSTEM_CLASSROOM)
	npm ci --prefix classroom --no-audit --no-fund --loglevel=error

# Not a test: pip needs the registry, the test suite runs offline.
platforms:  ## pip resolves the student edition's requirements.txt on every platform and Python it supports
	$(BIN)/python tools/check_student_platforms.py

system:
	@bash tools/system-packages $(SYSTEM)

system-dev:
	@bash tools/system-packages $(SYSTEM_DEV)

venv:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCKFILE)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/corso data

DEMO ?= grading-demo
demo:  ## instructors: grade the demo class (a Moodle download of 24 lesson-01 submissions) into grading-demo/
	$(BIN)/corso grade 01-tensors demo/01-tensors-moodle.zip --workdir $(DEMO) --deadline "2026-10-15 23:59" --scale 30
	@echo "three feedback pages, as three students get them (all right; two mistakes; a crash):"
	@for student in 1284301 1284312 1284321; do echo "  $(DEMO)/feedback/$$student/01-tensors/tensors.html"; done

build:  ## rebuild release/, solutions/ and notebooks/ from source/
	$(BIN)/corso build

check:  ## fail, naming each stale generated file, if source/ and the generated folders disagree
	$(BIN)/corso build --check

test:  ## the full test suite: lint, tooling, build, grading, browser, nbval on every solution
	$(BIN)/pytest -n auto --dist loadscope

lock:  ## refresh the hashed locks from pyproject.toml (after changing a dependency)
	$(BIN)/$(LOCK) -o requirements/course.txt pyproject.toml
	$(BIN)/$(LOCK) --extra dev -c requirements/course.txt -o requirements/dev.txt pyproject.toml
	$(BIN)/$(STUDENT_LOCK) -c requirements/course.txt -o requirements/student.txt pyproject.toml

gpu-bundle:  ## wheels and Graphviz for a bare CUDA machine, in .whl/ and .deb/ (see gpu/bundle.sh)
	bash gpu/bundle.sh

gpu-check:  ## on a CUDA machine: nbval over every solution on the GPU, then the GPU benchmark rows
	bash gpu/check.sh

screenshots:  ## refresh the README's screenshots (docs/screenshots/*.png): Validate, feedback pages, class report, classroom (as root)
	CORSO_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/test_edition_browser.py tests/test_feedback_browser.py \
		tests/test_classroom.py
