# ledgerlens — one command each: setup, demo, test, lint, format, bench.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO ?= demo
DEMO_KEY_PASSWORD ?= ledgerlens-demo

# The network stays closed for everything ledgerlens runs; Prefect and Great
# Expectations are told not to phone home.
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export GX_ANALYTICS_ENABLED := false

.PHONY: setup demo test lint format bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	uv venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	uv pip install --quiet --python $(PY) -e '.[dev]'
	@touch $@

# A week of generated traffic (prompts from the real MT-bench set, a drift on
# the sixth day), audited night by night into a fresh store, each report signed
# with a managed key and verified offline.
demo: setup
	rm -rf $(DEMO)
	$(PY) data_fixtures/generate.py --out $(DEMO)/logs --start 2026-11-23 --days 7 \
	    --records-per-day 400 --seed 7 --drift-day 2026-11-28 --format ledgerlens-jsonl
	LEDGERLENS_KEY_PASSWORD=$(DEMO_KEY_PASSWORD) $(VENV)/bin/ledgerlens keygen --out $(DEMO)/keys
	@for day in 2026-11-23 2026-11-24 2026-11-25 2026-11-26 2026-11-27 2026-11-28 2026-11-29; do \
	    echo "== audit $$day"; \
	    LEDGERLENS_KEY_PASSWORD=$(DEMO_KEY_PASSWORD) $(VENV)/bin/ledgerlens audit \
	        --logs $(DEMO)/logs/$$day --date $$day --store $(DEMO)/store --out $(DEMO)/out \
	        --origin ledgerlens/demo --signing-key $(DEMO)/keys/ledgerlens-signing.key; \
	    status=$$?; [ $$status -le 1 ] || exit $$status; \
	done
	$(VENV)/bin/ledgerlens verify $(DEMO)/out/2026-11-29/audit-report.pdf \
	    --key $(DEMO)/keys/ledgerlens-signing.pub
	$(VENV)/bin/ledgerlens verify $(DEMO)/out/2026-11-29 --key $(DEMO)/keys/ledgerlens-signing.pub
	@echo "demo: reports in $(DEMO)/out/<day>/audit-report.pdf (2026-11-28 carries the injected drift)"

test: setup
	$(VENV)/bin/pytest -q

lint: setup
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/mypy src

format: setup
	$(VENV)/bin/ruff format src tests
	$(VENV)/bin/ruff check --fix src tests

bench: setup
	$(PY) bench/bench_audit.py

clean:
	rm -rf $(DEMO) ledgerlens-out ledgerlens-store .pytest_cache
