# raco-lsp: the two commands of the README are `make run` and `make test`.
# Both install what is missing (Racket from Debian, a Python venv) and are
# safe to run again.
SHELL := /bin/bash
VENV := .venv
STAMP := $(VENV)/.installed-stamp
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=

.PHONY: run test test-fast setup racket lint pytest bench clean vsix ts-test e2e-setup

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

pytest: setup vsix e2e-setup
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test: lint ts-test pytest

# The fast tier for the edit loop: lint and the pure-Python tests, no Racket,
# npm or apt (only the venv).
test-fast: $(STAMP)
	$(VENV)/bin/ruff check server tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q -m "not racket" $(PYTEST_ARGS)

# The VS Code extension (vscode-extension/): pinned npm devDependencies from
# package-lock.json, TypeScript strict, eslint, node's own test runner, vsce.
# The .vsix holds one esbuild bundle, dist/extension.js: vsce runs the
# package.json script vscode:prepublish (tsc --noEmit, then esbuild) first.
EXT := vscode-extension
EXT_VERSION := $(shell sed -n 's/^  "version": "\(.*\)",$$/\1/p' $(EXT)/package.json)
VSIX := $(EXT)/raco-lsp-$(EXT_VERSION).vsix
EXT_STAMP := $(EXT)/node_modules/.installed-stamp
EXT_BIN := node_modules/.bin
E2E_CACHE ?= $(HOME)/.cache/raco-lsp-e2e

$(EXT_STAMP): $(EXT)/package.json $(EXT)/package-lock.json
	cd $(EXT) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

vsix: $(VSIX)

$(VSIX): $(EXT_STAMP) $(wildcard $(EXT)/src/*.ts) $(EXT)/package.json $(EXT)/language-configuration.json \
	  $(EXT)/.vscodeignore $(EXT)/README.md $(EXT)/LICENSE
	cd $(EXT) && $(EXT_BIN)/vsce package --no-dependencies --out raco-lsp-$(EXT_VERSION).vsix

ts-test: $(EXT_STAMP)
	cd $(EXT) && $(EXT_BIN)/tsc -p . && $(EXT_BIN)/eslint src && node --test out/src/test/

# What the end-to-end test in a real VS Code needs (tests/test_vscode_e2e.py):
# Debian's chromium and ripgrep, and code-server 4.100.3 from npm, cached in
# $(E2E_CACHE); and the README's Neovim and Emacs configurations
# (tests/test_editors_e2e.py): Debian's neovim, emacs-nox and elpa-eglot.
# When something cannot be installed its test is skipped, with the reason.
E2E_DEBS := chromium ripgrep libkrb5-dev pkg-config
EDITOR_DEBS := neovim emacs-nox elpa-eglot
# $(call apt_get,PACKAGES,WHAT NEEDS THEM): install the Debian packages when one
# is missing (apt-get update only if that fails); else say WHAT will be skipped.
apt_get = dpkg -s $(1) >/dev/null 2>&1 || { \
	  echo "raco-lsp: installing $(1) for $(2)..."; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null || \
	  { $(SUDO) apt-get update -qq && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; } || \
	  echo "raco-lsp: WARNING: could not install $(1): $(2) will be skipped"; }
e2e-setup:
	@$(call apt_get,$(E2E_DEBS),the VS Code end-to-end test)
	@$(EXT)/e2e/install-code-server.sh $(E2E_CACHE) || \
	  echo "raco-lsp: WARNING: could not install code-server: the VS Code e2e test will be skipped"
	@$(call apt_get,$(EDITOR_DEBS),the Neovim and Emacs end-to-end tests)

# Benchmarks print figures and ratios against a baseline measured in the same run.
bench: setup
	$(VENV)/bin/python -m bench $(BENCH)

clean:
	rm -rf $(VENV) build $(EXT)/node_modules $(EXT)/out $(EXT)/dist $(EXT)/*.vsix
	find examples -name compiled -type d -prune -exec rm -rf {} +
