# Entry points for humans and CI. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV := $(CURDIR)/.venv
PYTHON := $(VENV)/bin/python
TOOLS_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/ingest-pipeline/tools
ENV ?= dev

# The pinned toolchain (see `make tools`), exported so no target needs shell set-up.
export TOOLS_DIR
export PATH := $(TOOLS_DIR)/bin:$(VENV)/bin:$(PATH)
export TF_CLI_CONFIG_FILE := $(TOOLS_DIR)/terraform.rc
export TG_TF_PATH := $(TOOLS_DIR)/bin/tf
# A plugin cache from the caller's shell would be shared by parallel inits (see scripts/tools.sh).
unexport TF_PLUGIN_CACHE_DIR
export TF_IN_AUTOMATION := 1
export CHECKPOINT_DISABLE := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# --- set-up -------------------------------------------------------------------
.PHONY: venv tools lock
venv: $(VENV)/.installed ## Create/update the project venv (.venv) from pinned requirements

$(VENV)/.installed: requirements-dev.txt services/frontend/requirements.txt services/worker/requirements.txt
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	@$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

tools: ## Build/find the pinned Terragrunt, Terraform/OpenTofu, AWS provider mirror, actionlint, checkov
	@bash scripts/tools.sh

lock: ## Regenerate requirements-dev.txt from requirements-dev.in
	@bash scripts/lock.sh

# --- checks ---------------------------------------------------------------------
.PHONY: test lint fmt test-tools
test: lint test-tools test-services test-modules test-live policy test-ci ## Every check the project has (what CI runs)

lint: venv tools ## Linters and formatters: every pre-commit hook on every file (.pre-commit-config.yaml)
	@pre-commit run --all-files --show-diff-on-failure

fmt: venv tools ## Format Python, Terraform and Terragrunt files in place
	@ruff format .
	@ruff check --fix .
	@$(TG_TF_PATH) fmt -recursive .
	@terragrunt hcl fmt --log-level error

test-tools: venv tools ## Toolchain smoke test: offline init + validate from the mirror
	@pytest tests/tools

# --- services (services/) ----------------------------------------------------------
# The serve-* recipes are exactly the containers' commands (WORKDIR = the service
# directory); services/tests asserts that they match the Dockerfiles' CMD.
.PHONY: test-services serve-frontend serve-worker bench
test-services: venv ## Services: unit, property and integration tests, hadolint
	@hadolint services/frontend/Dockerfile services/worker/Dockerfile
	@pytest -q services

serve-frontend: venv ## Run the frontend (gunicorn, foreground) configured from the environment
	cd services/frontend && exec gunicorn -c gunicorn_conf.py 'frontend.app:create_app()'

serve-worker: venv ## Run the worker (foreground) configured from the environment
	cd services/worker && exec python -m worker

bench: venv ## Benchmark frontend and worker against the emulator (bare and with 20 ms latency)
	@cd services && PYTHONPATH=$(CURDIR) exec python -m bench

# --- Terraform modules (modules/) ------------------------------------------------------
# Each module: offline init + validate, README tables check, then scripts/test-modules.sh
# (terraform test: plan + apply + assert + destroy against a moto server), then the composition
# test (tests/composition, every module wired as an environment), then checkov on modules/,
# then tests/modules (pytest: state of older module layouts follows the code).
TF_MODULES := $(patsubst %/main.tf,%,$(wildcard modules/*/main.tf))
# The python-hcl2 that checkov ships parses the modules for the README tables.
CHECKOV_PYTHON = $(dir $(realpath $(TOOLS_DIR)/bin/checkov))python
.PHONY: test-modules validate-modules docs docs-check checkov-modules
test-modules: venv tools validate-modules docs-check checkov-modules ## Modules: validate, docs check, checkov, apply+assert+destroy against moto, composition, state moves
	@bash scripts/test-modules.sh
	@pytest -q tests/modules

validate-modules: tools ## Offline terraform init + validate of every module
	@for module in $(TF_MODULES); do \
	  echo "validate $$module"; \
	  (cd $$module && $(TG_TF_PATH) init -backend=false -input=false -no-color >/dev/null && $(TG_TF_PATH) validate -no-color >/dev/null) \
	    || { (cd $$module && $(TG_TF_PATH) validate -no-color); exit 1; }; \
	done

docs: tools ## Regenerate the Inputs/Outputs tables of the module READMEs
	@$(CHECKOV_PYTHON) scripts/module-docs.py

docs-check: tools ## Fail when a module README's Inputs/Outputs tables are stale
	@$(CHECKOV_PYTHON) scripts/module-docs.py --check

# Offline: --skip-download (also in .checkov.yaml), BC_SKIP_MAPPING and no API key, so checkov
# never calls its platform. checkov leaves the test fixtures (modules/*/tests) out by default.
checkov-modules: tools ## checkov (built-in + CKV_ORG_*) on every module, offline
	@BC_SKIP_MAPPING=TRUE checkov --config-file .checkov.yaml --skip-download -d modules --framework terraform --quiet

# --- Terragrunt environments and the local stack (live/, devstack/) ------------------------
LIVE_ENVS := dev staging prod local
# live/local talks to the emulator of `make up`, always with dummy credentials.
LOCAL_AWS_ENV := AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing \
  AWS_ENDPOINT_URL=$${AWS_EMULATOR_ENDPOINT:-http://127.0.0.1:4566}
LIVE_RUN = $(if $(filter $(ENV),$(LIVE_ENVS)),,$(error ENV must be one of: $(LIVE_ENVS))) \
  cd live/$(ENV) && $(if $(filter local,$(ENV)),env $(LOCAL_AWS_ENV)) terragrunt
.PHONY: up down objects plan apply graph test-live
up: venv tools ## The whole system on 127.0.0.1: emulator :4566, live/local applied, frontend :5000, worker :5001
	@python -m devstack.stack up

down: venv ## Stop everything `make up` started; remove .local and live/local caches
	@python -m devstack.stack down

objects: venv ## List the objects the worker wrote to the local data bucket
	@python -m devstack.stack objects

plan: venv tools ## terragrunt run --all plan in live/$(ENV) (ENV=dev|staging|prod need AWS credentials)
	@$(LIVE_RUN) run --all --non-interactive -- plan -input=false

apply: venv tools ## terragrunt run --all apply in live/$(ENV), non-interactive (auto-approved)
	@$(LIVE_RUN) run --all --non-interactive -- apply -input=false

graph: tools ## Dependency graph (DOT) of the units of live/$(ENV)
	@$(LIVE_RUN) dag graph

test-live: venv tools ## Live tests: hcl fmt/validate, dependency graphs, plans of dev/staging/prod on the emulator, make up end to end
	@pytest tests/live


# --- policy gate and pre-commit (policies/) ------------------------------------------------
# Stacks under live/ whose every unit the gate plans from an empty state (against a moto
# server, on mock dependency outputs) and scans.
POLICY_STACKS ?= local dev staging prod
POLICY_REPORTS ?= $(CURDIR)/reports/policy
.PHONY: policy test-policies precommit
policy: test-policies ## Policy gate: checkov (built-in + CKV_ORG_*) on module HCL and all stack plans
	@python scripts/policy.py --reports $(POLICY_REPORTS) --hcl modules \
	  $(foreach stack,$(POLICY_STACKS),$(if $(wildcard live/$(stack)),--stack $(stack)=live/$(stack)))

test-policies: venv tools ## Tests of the custom checkov policies, incl. the gate's negative test
	@pytest policies/tests

precommit: venv tools ## Run every pre-commit hook on every file (local hooks, offline)
	@pre-commit run --all-files

# --- CI/CD (.github/) ---------------------------------------------------------------------
.PHONY: test-ci ci-fixtures
test-ci: venv tools ## CI/CD: renderer/upsert tests, actionlint, zizmor --offline, yamllint on .github
	@pytest -q tests/ci
	@actionlint
	@zizmor --offline --no-progress .github
	@yamllint --strict .github

ci-fixtures: venv tools ## Regenerate tests/ci/fixtures: real Terraform plans and checkov results
	@python tests/ci/plan_fixtures.py

# --- clean-up ---------------------------------------------------------------------
.PHONY: clean
clean: ## Remove the venv and local caches (not the per-user tool cache)
	rm -rf $(VENV) .local .pytest_cache .ruff_cache
	find . -name .terragrunt-cache -type d -prune -exec rm -rf {} +
	find . -name .terraform -type d -prune -exec rm -rf {} +
