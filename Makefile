# chiral_em. The two commands: `make reproduce` and `make test`. Both create .venv first if it is missing.
SHELL   := /bin/bash
PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.chiral_em-installed
PROFILE ?= cpu

.PHONY: reproduce test check bench venv

# The environment: PyPI torch + torchvision together (CUDA build; runs on CPU too), everything pinned in settings.ini.
$(STAMP): settings.ini setup.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

## Run every chapter in the cpu profile (PROFILE=paper on a GPU box); figures/, results/ and results/<profile>/summary.md
reproduce: $(STAMP)
	$(BIN)/chiral-em reproduce --profile $(PROFILE)

## nbdev_test (every notebook in the smoke profile) and pytest
# nbdev_test runs one notebook per core in parallel, so each notebook gets one torch thread.
test: $(STAMP)
	CHIRAL_EM_THREADS=1 $(BIN)/nbdev_test --timing
	$(BIN)/python -m pytest -q tests

## notebooks clean and chiral_em/ in sync with them (CI runs this before `test`)
check: $(STAMP)
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean
	@git diff --exit-code --stat -- chiral_em nbs || { echo "chiral_em/ or nbs/ not in sync: run nbdev_export and nbdev_clean, then commit"; exit 1; }

## speed and memory benchmarks; each writes results/bench/<name>.json
bench: $(STAMP)
	@set -e; for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done
