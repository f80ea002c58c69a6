# GAT developer commands. `make help` lists them.
# Only python3 (3.11) and make are needed: uv is bootstrapped into .tools/ when it is missing.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
PACKAGES := gat-schemas gat-pf gat-dist gat-derms gat-adms gat-cli
PKG_DIR = $(if $(filter gat-cli,$(1)),apps/$(1),packages/$(1))
PYTEST_ARGS ?=
# make test runs on every core (pytest-xdist); TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto

.PHONY: help setup demo test test-slow test-isolated test-pip-schemas lint fmt bench docs clean $(addprefix test-,$(PACKAGES))

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

.venv/.synced: uv.lock pyproject.toml $(wildcard packages/*/pyproject.toml apps/*/pyproject.toml) | $(UV)
	UV_COMPILE_BYTECODE=1 $(UV) sync --locked --all-packages
	@touch $@

setup: .venv/.synced ## Install uv if missing, then every package and dev tool from uv.lock

demo: setup ## Run the end-to-end demo on shipped data and print a planner's summary
	@$(UV) run --no-sync bash scripts/demo.sh

test: setup ## Run the fast test suite (every package, docs, CLI) on every core
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync pytest -m "not slow" \
		-n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS) packages apps tests

test-slow: setup ## Run the slow tests too
	$(UV) run --no-sync pytest $(PYTEST_ARGS) packages apps tests

$(addprefix test-,$(PACKAGES)): test-%: | $(UV) ## Test one package installed on its own (test-gat-pf ...)
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/.venvs/$* $(UV) sync --locked --quiet --package $*
	@if ls $(call PKG_DIR,$*)/tests/test_*.py >/dev/null 2>&1; then \
		cd $(call PKG_DIR,$*) && UV_PROJECT_ENVIRONMENT=$(CURDIR)/.venvs/$* $(UV) run --no-sync --package $* \
		pytest -c $(CURDIR)/pyproject.toml --rootdir $(CURDIR) -m "not slow" $(PYTEST_ARGS) tests; \
	else echo "$*: no tests yet (package holds no code)"; fi

test-isolated: $(addprefix test-,$(PACKAGES)) ## Test every package installed on its own

test-pip-schemas: ## pip-install gat-schemas alone into a clean venv and run its tests there
	rm -rf .venvs/pip-schemas
	$(PYTHON) -m venv .venvs/pip-schemas
	.venvs/pip-schemas/bin/pip install --quiet --disable-pip-version-check ./packages/gat-schemas pytest hypothesis
	cd packages/gat-schemas && $(CURDIR)/.venvs/pip-schemas/bin/python -m pytest \
		-c $(CURDIR)/pyproject.toml --rootdir $(CURDIR) -q -m "not slow" tests

lint: setup ## Ruff lint and format check
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .

fmt: setup ## Format the code and apply safe lint fixes
	$(UV) run --no-sync ruff format .
	$(UV) run --no-sync ruff check --fix .

docs: setup ## Regenerate docs/reference/tables.md from the schemas
	$(UV) run --no-sync python -m gat_schemas.docs docs/reference/tables.md

bench: setup ## Benchmark power flow (balanced and three-phase), hosting capacity, OPF, DERMS, ADMS and whole-process start-up (bench/results/)
	UV_COMPILE_BYTECODE=1 $(UV) sync --locked --all-packages --group bench
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/run.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/hostcap.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/hostcap3.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/hostcap_giveup.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/opf.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/threephase.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/ieee8500.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/derms_envelope.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/derms_schedule.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/derms3.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/adms_flisr.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/adms_outage_mc.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/adms_se.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/adms_reconfig.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/adms_vvo.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/qsts.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/load_band.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/startup.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/tui.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/plot.py
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(UV) run --no-sync python bench/feeders_epri.py $(EPRI_DISTRIB)
	@rm -f .venv/.synced

clean: ## Remove virtual environments and caches
	rm -rf .venv .venvs .tools .pytest_cache .ruff_cache .hypothesis demo_out
