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
export TFLINT_PLUGIN_DIR := $(TOOLS_DIR)/tflint-plugins
# A plugin cache from the caller's shell would be shared by parallel inits (see scripts/tools.sh).
unexport TF_PLUGIN_CACHE_DIR
export TF_IN_AUTOMATION := 1
export CHECKPOINT_DISABLE := 1
export PYTHONDONTWRITEBYTECODE := 1
# Every terraform command starts the AWS provider, which builds a ~500 MB schema and exits:
# a lazier Go GC takes ~15 % less CPU per plan for ~150 MB more per process (measured, see
# the README's test section); the memory limit keeps a runaway process collecting.
export GOGC ?= 400
export GOMEMLIMIT ?= 2GiB

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# --- set-up -------------------------------------------------------------------
.PHONY: venv tools lock
venv: $(VENV)/.installed ## Create/update the project venv (.venv) from pinned requirements

# The pinned dependencies, then the repository's tooling (devstack, policies) and both
# services as editable packages, so every test and script imports them by name.
$(VENV)/.installed: requirements-dev.txt services/frontend/requirements.txt services/worker/requirements.txt \
    pyproject.toml services/frontend/pyproject.toml services/worker/pyproject.toml
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	@$(PYTHON) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	@$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps \
	  -e . -e services/frontend -e services/worker
	@touch $@

tools: ## Pinned Terragrunt, Terraform, AWS provider mirror, actionlint, terraform-docs, TFLint (+ AWS ruleset), checkov: PATH, else verified downloads, else offline builds
	@bash scripts/tools.sh

lock: ## Regenerate requirements-dev.txt and tools/requirements-checkov.txt (checkov with hashes)
	@bash scripts/lock.sh

.PHONY: providers-lock
providers-lock: tools ## Online: rewrite .terraform.lock.hcl with hashicorp/aws hashes for every supported platform
	@cd $$(mktemp -d) && printf 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "%s" }\n  }\n}\n' \
	  "$$(sed -n 's/^AWS_PROVIDER_VERSION=//p' $(CURDIR)/tools/versions.env)" >main.tf && \
	  TF_CLI_CONFIG_FILE=/dev/null $(TG_TF_PATH) providers lock -platform=linux_amd64 -platform=linux_arm64 \
	    -platform=darwin_amd64 -platform=darwin_arm64 && cp .terraform.lock.hcl $(CURDIR)/.terraform.lock.hcl

# --- checks ---------------------------------------------------------------------
# `make test` runs every check once, scheduled for 2 cores (devstack/testrun.py): the module
# tests and the twin in the background, plans, lint and the pytest suites in the foreground;
# it ends with a table of stage wall times. The targets below run one part each.
.PHONY: test check lint fmt test-tools
test: venv tools ## Every check the project has, each once (what CI runs); ends with a table of stage times
	@python -m devstack.testrun

check: venv tools ## Fast tier for edit loops: lint, module validate, unit and policy tests (no emulator applies)
	@python -m devstack.testrun --fast

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
.PHONY: test-services serve-frontend serve-worker bench load
test-services: venv ## Services: unit, property and integration tests (hadolint is a lint hook)
	@pytest -q services

serve-frontend: venv ## Run the frontend (gunicorn, foreground) configured from the environment
	cd services/frontend && exec gunicorn -c gunicorn_conf.py 'frontend.app:create_app()'

serve-worker: venv ## Run the worker (foreground) configured from the environment
	cd services/worker && exec python -m worker

bench: venv ## Benchmark frontend and worker against the emulator (bare and with 20 ms latency)
	@python -m devstack.bench

# LOAD_ARGS passes options through, e.g. LOAD_ARGS="--steps 1,4,16 --step-seconds 2 --backends stub".
load: venv ## Load the frontend at rising concurrency (emulator and a fast stub): reports/load/ CSV, PNG, saturation
	@python -m devstack.bench.load $(LOAD_ARGS)

# --- Terraform modules (modules/) ------------------------------------------------------
# terraform test (plan + apply + assert + destroy) of every module, each against a moto server
# of its own (devstack/module_tests.py; the modules wired as an environment are the twin's
# test); tests/modules (pytest) proves older module layouts' state
# follows the code (moved blocks). checkov, TFLint and the README tables check on modules/ are
# lint hooks.
MODULE_DIRS = $(sort $(dir $(wildcard modules/*/README.md)))
.PHONY: test-modules validate-modules docs docs-check tflint checkov-modules
test-modules: venv tools ## Modules: apply+assert+destroy against moto (MODULES="vpc ecs" for some), state moves
	@python -m devstack.module_tests $(MODULES)
	@$(if $(MODULES),,pytest -q tests/modules)

validate-modules: venv tools ## Offline terraform init + validate of every module
	@python -m devstack.module_tests --validate-only

# terraform-docs reads .terraform-docs.yml from the working directory (the repository root).
docs: tools ## Regenerate the Requirements/Inputs/Outputs tables of the module READMEs (terraform-docs)
	@for module in $(MODULE_DIRS); do terraform-docs $$module; done

docs-check: tools ## Fail when a module README's tables are stale (terraform-docs --output-check)
	@status=0; for module in $(MODULE_DIRS); do \
	  terraform-docs --output-check $$module || status=1; done; \
	  [ $$status = 0 ] || { echo "module README tables are stale: run make docs" >&2; exit 1; }

# One run over every module (.tflint.hcl at the root; local child modules are followed).
tflint: tools ## TFLint with the terraform and AWS rulesets on every module
	@tflint --recursive --chdir=modules --config="$(CURDIR)/.tflint.hcl" --format=compact

# The pre-commit hook of the same name: offline (.checkov.yaml), the test fixtures left out.
checkov-modules: venv tools ## checkov (built-in + CKV_ORG_*) on every module, offline
	@pre-commit run checkov-modules --all-files

# --- Terragrunt environments and the local stack (live/, devstack/) ------------------------
LIVE_ENVS := dev staging prod local
# live/local talks to the emulator of `make up`, always with its dummy credentials (stack.json).
LOCAL_AWS_ENV := $$(python -m devstack.emulator env $${AWS_EMULATOR_ENDPOINT:-})
LIVE_RUN = $(if $(filter $(ENV),$(LIVE_ENVS)),,$(error ENV must be one of: $(LIVE_ENVS))) \
  cd live/$(ENV) && $(if $(filter local,$(ENV)),env $(LOCAL_AWS_ENV)) terragrunt
.PHONY: up down objects plan apply graph redrive test-live
up: venv tools ## The whole system on 127.0.0.1: emulator :4566, live/local applied, its ECS tasks, the ALB on :8080
	@python -m devstack.stack up

down: venv ## Stop everything `make up` started, keep an emulator snapshot for a fast re-up (CLEAN=1 drops it); remove the rest of .local and live/local caches
	@python -m devstack.stack down $(if $(CLEAN),--clean)

objects: venv ## List the objects the worker wrote to the local data bucket
	@python -m devstack.stack objects

plan: venv tools ## terragrunt run --all plan in live/$(ENV) (ENV=dev|staging|prod need AWS credentials)
	@$(LIVE_RUN) run --all --non-interactive -- plan -input=false

apply: venv tools ## terragrunt run --all apply in live/$(ENV), non-interactive (auto-approved)
	@$(LIVE_RUN) run --all --non-interactive -- apply -input=false

graph: tools ## Dependency graph (DOT) of the units of live/$(ENV)
	@$(LIVE_RUN) dag graph

# The queue URLs: for local from the running `make up` stack ($(STACK_ENV), emulator
# credentials, the region of stack.json); otherwise from the sqs unit's outputs (your AWS
# credentials).
STACK_ENV ?= .local/stack.env
redrive: venv $(if $(filter-out local,$(ENV)),tools) ## Move the DLQ's messages back to the queue in ENV (DRY_RUN=1 lists them, MAX=N moves at most N)
	@$(if $(filter $(ENV),$(LIVE_ENVS)),,$(error ENV must be one of: $(LIVE_ENVS)))
	@if [ "$(ENV)" = local ]; then \
	  test -f "$(STACK_ENV)" || { echo "redrive: $(STACK_ENV) not found: run make up first" >&2; exit 1; }; \
	  set -a; . "$(STACK_ENV)"; eval "$$(python -m devstack.emulator env "$$AWS_ENDPOINT_URL")"; \
	  set +a; unset AWS_PROFILE; \
	  queue_url=$$QUEUE_URL; dlq_url=$$DLQ_URL; \
	else \
	  queue_url=$$(cd live/$(ENV)/sqs && terragrunt output -raw queue_url); \
	  dlq_url=$$(cd live/$(ENV)/sqs && terragrunt output -raw dlq_url); \
	fi; \
	python -m devstack.redrive --queue-url "$$queue_url" --dlq-url "$$dlq_url" \
	  $(if $(DRY_RUN),--dry-run) $(if $(MAX),--max $(MAX))

# The API token (devstack/token.py; Terraform only creates its key): the parameter and key for
# local from the running `make up` stack ($(STACK_ENV), the emulator), otherwise from the ecs
# unit's outputs (your AWS credentials, which the token key's policy must name:
# ecs.token_operator_arns). The token is printed only with SHOW=1.
define token_command
$(if $(filter $(ENV),$(LIVE_ENVS)),,$(error ENV must be one of: $(LIVE_ENVS)))
@if [ "$(ENV)" = local ]; then \
  test -f "$(STACK_ENV)" || { echo "token: $(STACK_ENV) not found: run make up first" >&2; exit 1; }; \
  . "$(STACK_ENV)"; \
  parameter=$$TOKEN_PARAMETER; key=$$TOKEN_KMS_KEY; endpoint=(--endpoint "$$AWS_ENDPOINT_URL"); \
else \
  parameter=$$(cd live/$(ENV)/ecs && terragrunt output -raw token_parameter_name); \
  key=$$(cd live/$(ENV)/ecs && terragrunt output -raw token_kms_key_arn); endpoint=(); \
fi; \
python -m devstack.token $(1) --parameter "$$parameter" --key "$$key" "$${endpoint[@]}" $(if $(SHOW),--show)
endef

.PHONY: token rotate-token
token: venv $(if $(filter-out local,$(ENV)),tools) ## Create ENV's API token parameter when missing (re-encrypts one under another key; SHOW=1 prints the token)
	$(call token_command,create)

rotate-token: venv $(if $(filter-out local,$(ENV)),tools) ## Rotate ENV's token: new and previous both accepted; FINISH=1 then drops the previous
	$(call token_command,$(if $(FINISH),finish,rotate))

test-live: venv tools ## Live tests: validate, dependency graphs, plans of every environment on the emulator, make up end to end
	@pytest tests/live

plans: venv tools ## Plan every environment (or ENVS="dev prod") from empty state on the emulator into reports/plans
	@python -m devstack.plans $(ENVS)


# --- policy gate and pre-commit (policies/) ------------------------------------------------
# The gate scans the plans of every environment (made by `make plans`, reused while their
# inputs are unchanged); checkov on the module HCL is the pre-commit hook `checkov-modules`.
POLICY_REPORTS ?= $(CURDIR)/reports/policy
.PHONY: policy test-policies precommit
policy: plans ## Policy gate: checkov (built-in + CKV_ORG_*) on the plans of every environment
	@python -m policies.gate --reports $(POLICY_REPORTS) \
	  $(foreach env,$(LIVE_ENVS),--plan-json live/$(env)=$(CURDIR)/reports/plans/$(env)/json/live/$(env))

test-policies: venv tools ## Tests of the custom checkov policies, incl. the gate's negative test
	@pytest policies/tests

precommit: lint ## Alias of lint: every pre-commit hook on every file

# --- CI/CD (.github/) ---------------------------------------------------------------------
.PHONY: test-ci ci-fixtures
test-ci: venv tools ## CI/CD: renderer, upsert, workflow and pipeline tests (actionlint, zizmor, yamllint are lint hooks)
	@pytest -q tests/ci

ci-fixtures: venv tools ## Regenerate tests/ci/fixtures: real Terraform plans and checkov results
	@python -m devstack.ci.plan_fixtures

.PHONY: check-mocks cost-readme
check-mocks: venv ## Every dependency's mock_outputs are outputs of its module, with matching types
	@python -m devstack.check_mocks

cost-readme: plans ## Regenerate README.md's monthly cost table from the plans of dev, staging, prod
	@python -m devstack.ci.cost --readme

# --- clean-up ---------------------------------------------------------------------
.PHONY: clean
clean: ## Remove the venv and local caches (not the per-user tool cache)
	rm -rf $(VENV) .local .pytest_cache .ruff_cache
	find . -name .terragrunt-cache -type d -prune -exec rm -rf {} +
	find . -name .terraform -type d -prune -exec rm -rf {} +
