# trade-mirror: every set-up step lives here, so a fresh clone needs only Python 3.11+ and make.
#   make report   - the main job: build the store from the bundled data, show its status and its flags
#   make test     - the whole test suite (what .ci/run runs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: report test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/trade-mirror status
	$(BIN)/trade-mirror flags

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_load.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
