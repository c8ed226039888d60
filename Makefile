# trade-mirror: every set-up step lives here, so a fresh clone needs only Python 3.11+ and make.
#   make report   - the main job: the full HTML report on the bundled data (reports/PRK-report.html)
#   make test     - the whole test suite (what .ci/run runs; the browser tests want Debian's chromium:
#                   `make browser` installs it, as root or with sudo)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: report test lint bench browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/trade-mirror report --export-dir reports/out

browser:
	command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && S= || S="sudo -n"; \
	  $$S apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$S apt-get install -y -qq chromium; }

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_load.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
