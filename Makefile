# raco-lsp: the two commands of the README are `make run` and `make test`.
# Both install what is missing (Racket from Debian, a Python venv) and are
# safe to run again.
SHELL := /bin/bash
VENV := .venv
STAMP := $(VENV)/.installed-stamp
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=

.PHONY: run test setup racket lint pytest bench clean

setup: racket $(STAMP)

racket:
	@command -v raco >/dev/null 2>&1 && command -v racket >/dev/null 2>&1 || { \
	  echo "raco-lsp: installing Racket (Debian package 'racket')..."; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq racket; }

$(STAMP): pyproject.toml
	@echo "raco-lsp: creating $(VENV) and installing raco-lsp with its dev tools..."
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: setup
	examples/demo.sh

lint: setup
	$(VENV)/bin/ruff check server tests bench
	$(VENV)/bin/ruff format --check server tests bench
	$(VENV)/bin/mypy

pytest: setup
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test: lint pytest

# Benchmarks print figures and ratios against a baseline measured in the same run.
bench: setup
	$(VENV)/bin/python -m bench $(BENCH)

clean:
	rm -rf $(VENV) build
	find examples -name compiled -type d -prune -exec rm -rf {} +
