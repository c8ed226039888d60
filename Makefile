# trade-mirror: every set-up step lives here, so a fresh clone needs only Python 3.11+ and make.
#   make report   - the main job: the full HTML report on the bundled data (reports/PRK-report.html)
#   make test     - the whole test suite (what .ci/run runs; the browser tests want Debian's chromium:
#                   `make browser` installs it, as root or with sudo)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: report test lint bench browser clean

# Says what it installs (pip lists each package) and how long the set-up took.
$(STAMP): pyproject.toml
	@echo "make: setting up $(VENV) - trade-mirror and its test tools from PyPI (about 1.2 GB; minutes the first time)"
	@start=$$(date +%s); \
	$(PYTHON) -m venv $(VENV) && \
	$(BIN)/python -m pip install --quiet --upgrade pip && \
	$(BIN)/python -m pip install --progress-bar off -e '.[dev]' && \
	touch $(STAMP) && echo "make: set-up done in $$(( $$(date +%s) - start )) s"

# The report shows its steps as it goes (load, detect, build, write, export); the total at the end.
report: $(STAMP)
	@start=$$(date +%s); \
	$(BIN)/trade-mirror report --export-dir reports/out && \
	echo "make report: done in $$(( $$(date +%s) - start )) s"

browser:
	command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && S= || S="sudo -n"; \
	  $$S apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$S apt-get install -y -qq chromium; }

# One pytest worker per core (pytest-xdist), each test file on one worker (its module fixtures are
# built once); TEST_WORKERS=0 runs the suite in this process.
TEST_WORKERS ?= auto

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .

# Every benchmark prints the floor beside trade-mirror (CPU s, wall s, peak MB, ratio), one process
# at a time, each under a virtual-memory cap (the machine is shared). BENCH_FLOWS: the mirror's
# scaling sizes (add 10000000 for BACI scale: about 2 GB per process, 10 minutes more).
BENCH_FLOWS ?= 1000000,3000000
BENCH_VMEM_KB ?= 8000000
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]' && touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	ulimit -v $(BENCH_VMEM_KB); \
	$(BIN)/python benchmarks/bench_startup.py && \
	$(BIN)/python benchmarks/bench_load.py && \
	$(BIN)/python benchmarks/bench_report.py && \
	$(BIN)/python benchmarks/bench_mirror.py --flows $(BENCH_FLOWS) && \
	$(BIN)/python benchmarks/bench_detect.py --partners 40 --products 300

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
