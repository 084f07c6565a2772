# JourneyLens: `make run` opens the app on the bundled sample, `make test` runs the whole suite (what CI runs).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8501

.DEFAULT_GOAL := help
.PHONY: help run test lint typecheck bench bench-peers sample browser java clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,spark]'
	touch $(STAMP)

browser: ## install Debian's Chromium for the browser test when it is missing
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser test"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

java: ## install Java 17 for the Spark engine's tests when it is missing
	@command -v java >/dev/null 2>&1 || { \
	  echo "installing Debian default-jre-headless (Java 17) for the Spark engine"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq default-jre-headless >/dev/null; }

run: $(STAMP) ## open the app on the bundled sample at http://127.0.0.1:8501 (PORT=... to change)
	$(PY) -m ui.serve --server.port $(PORT)

test: $(STAMP) browser java ## run the whole suite: library, AppTest pages, Spark engine, real-browser test
	$(PY) -m pytest

lint: $(STAMP) ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(STAMP) ## benchmark every stage at 1M/10M events (BENCH_ARGS="--sizes 1000000" to narrow)
	$(PY) -m benchmarks $(BENCH_ARGS)

bench-peers: $(STAMP) ## JourneyLens vs retentioneering, ChannelAttribution, MAM, pm4py (peers in benchmarks/.peers-venv)
	RETENTIONEERING_NO_TRACK=1 $(PY) -m benchmarks.peers.run $(BENCH_ARGS)

sample: $(STAMP) ## regenerate sample_data/ (the Parquet sample, a German Excel CSV, the CRM and shop exports) from analysis/
	$(PY) -c "from analysis.sample import *; \
	print(write_sample_parquet(SAMPLE_PATH, SAMPLE_USERS, seed=SAMPLE_SEED), 'events written to', SAMPLE_PATH); \
	print(write_german_export(), 'events written to', GERMAN_EXPORT_PATH); \
	print(write_silos(), 'written to', CRM_PATH, SHOP_PATH)"

clean: ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
