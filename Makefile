# The two commands a fresh clone needs: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Lambda can no longer create python3.11 functions and Chalice takes the runtime from the interpreter
# it runs under, so the project insists on Python 3.12 or newer.
PYTHON ?= $(shell for p in python3.13 python3.12 $$(command -v pyenv >/dev/null && echo $$(pyenv root)/versions/3.13*/bin/python3 $$(pyenv root)/versions/3.12*/bin/python3) python3; do \
	  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: help venv run test lint typecheck unit bench fuzz clean

help:
	@echo "make run    start moto + bootstrap + the API on http://127.0.0.1:$(PORT)"
	@echo "make test   lint, type-check and run every test"
	@echo "make bench  print the benchmarks under bench/"

$(BIN)/.installed: requirements.txt requirements-dev.txt
	@if [ -z "$(PYTHON)" ]; then \
	  echo "iam-onboarding needs Python 3.12 or newer (Lambda no longer creates python3.11 functions)."; \
	  echo "Install one, e.g. 'pyenv install 3.13' or 'apt-get install python3.13', or pass PYTHON=/path/to/python3.12+."; \
	  exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

run: venv
	PORT=$(PORT) $(BIN)/python -m local.run

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

unit: venv
	$(BIN)/python -m pytest -q

test: lint typecheck unit

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

fuzz: venv
	$(BIN)/python -m local.fuzz
