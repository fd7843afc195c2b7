# cx-unify — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv: the one on PATH, else the one pip installs for this Python (bootstrapped on first use)
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen
SF ?= 1
SEED ?= 42
export DAGSTER_DISABLE_TELEMETRY := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
# compile bytecode at install: with PYTHONDONTWRITEBYTECODE set (as on these machines) every start would
# otherwise recompile Dagster, dbt and Great Expectations from source (~5 s per process)
export UV_COMPILE_BYTECODE := 1

.PHONY: help bootstrap install browser manifest demo test test-fast lint format dev bench clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-10s %s\n", $$1, $$2}'

bootstrap: ## install uv if it is missing
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --user uv

install: bootstrap ## install the pinned environment (.venv, from uv.lock)
	@$(UV) sync --frozen --quiet

browser: ## Debian's chromium for the report's browser test (skipped when it cannot be installed)
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium not installed: the report's browser test will be skipped"; }

manifest: install ## dbt parse: the manifest Dagster loads, parsed for this home's warehouse (CX_HOME, default .cx)
	@$(RUN) python -c "from cx_unify.settings import load_settings; load_settings().export(); \
	  from pipelines.transform.resources import ensure_manifest; ensure_manifest()"

demo: manifest ## generate demo data, run the nightly, print where the analyst file and report are
	@$(RUN) cx-unify demo

test: manifest browser ## run the whole test suite
	@$(RUN) pytest

test-fast: manifest ## the tests not marked slow
	@$(RUN) pytest -m "not slow"

lint: install ## ruff + mypy
	@$(RUN) ruff check . && $(RUN) ruff format --check . && $(RUN) mypy

format: install ## ruff format + fixes
	@$(RUN) ruff format . && $(RUN) ruff check --fix .

dev: manifest ## the Dagster UI (and daemon: schedule, sensor) on http://127.0.0.1:3000
	@$(RUN) python -c "from cx_unify.settings import load_settings; load_settings().export()" && \
	  export DAGSTER_HOME="$${CX_HOME:-$$PWD/.cx}/dagster" && $(RUN) dagster dev -h 127.0.0.1 -p $${PORT:-3000}

bench: manifest ## benchmark the nightly at scale SF (default 1): make bench SF=10
	@$(UV) run --frozen --group bench python -m bench.run --scale $(SF) --seed $(SEED)

clean: ## remove generated state (.cx, dbt target)
	rm -rf .cx dbt_project/target dbt_project/logs
