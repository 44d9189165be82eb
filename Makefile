# chiral_em. The two commands: `make reproduce` and `make test`. Both create .venv first if it is missing; a fresh
# machine needs only python3 (3.10-3.13) and the network to PyPI.
SHELL   := /bin/bash
PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.chiral_em-installed
PROFILE ?= cpu

.PHONY: reproduce test check bench venv lock

# The environment: exactly the versions in requirements.lock (PyPI torch + torchvision, the CUDA build, which runs on
# CPU too), then chiral_em itself, editable, without touching those versions.
$(STAMP): requirements.lock settings.ini setup.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
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

## rewrite requirements.lock: the versions installed in .venv (what `make test` passed with), resolved against the
## ranges in settings.ini. `make lock UPGRADE=1` resolves the newest versions the ranges allow instead; install them
## (`make venv`), run `make test`, then commit the lock.
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^uv==' > $(VENV)/pins.txt
	$(BIN)/uv pip compile setup.py --extra dev --python $(BIN)/python $(if $(UPGRADE),,-c $(VENV)/pins.txt) \
		--no-annotate --custom-compile-command "make lock" -o requirements.lock
