# The two commands a fresh clone needs: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Lambda can no longer create python3.11 functions and Chalice takes the runtime from the interpreter
# it runs under, so the project insists on Python 3.12 or newer.
PYTHON ?= $(shell for p in python3.13 python3.12 $$(command -v pyenv >/dev/null && echo $$(pyenv root)/versions/3.13*/bin/python3 $$(pyenv root)/versions/3.12*/bin/python3) python3; do \
	  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

# The local targets talk to the emulator only, where any region will do: they work without any AWS
# configuration. Nothing that reaches real AWS gets this default (see DEPLOY_REGION).
LOCAL_TARGETS := run test unit bench fuzz load screenshots faults-table
$(LOCAL_TARGETS): export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: help venv run test lint typecheck unit bench fuzz clean

help:
	@echo "make run      start moto + bootstrap + the API on http://127.0.0.1:$(PORT)"
	@echo "make test     lint, type-check and run every test"
	@echo "make bench    print the benchmarks under bench/"
	@echo "make load     50 concurrent newcomers against the local stack"
	@echo "make package  build the CloudFormation template and the Lambda zip under $(BUILD)/"
	@echo "make deploy   package and deploy to your configured AWS region (needs ARTIFACT_BUCKET, PUBLIC_BASE_URL)"

$(BIN)/.installed: requirements.txt requirements-dev.txt
	@if [ -z "$(PYTHON)" ]; then \
	  echo "iam-onboarding needs Python 3.12 or newer (Lambda no longer creates python3.11 functions)."; \
	  echo "Install one, e.g. 'pyenv install 3.13' or 'apt-get install python3.13', or pass PYTHON=/path/to/python3.12+."; \
	  exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

run: venv
	PORT=$(PORT) $(BIN)/python -m local.run

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

unit: venv browser
	$(BIN)/python -m pytest -q

test: lint typecheck unit

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

fuzz: venv
	$(BIN)/python -m local.fuzz

# The browser tests drive Debian's Chromium (Playwright never downloads a browser here); CI starts on a
# clean Debian machine as root, so the suite installs it when it is missing.
.PHONY: browser screenshots
APT := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo) env DEBIAN_FRONTEND=noninteractive apt-get
browser:
	@if [ ! -x /usr/bin/chromium ]; then $(APT) update -qq && $(APT) install -y -qq chromium; fi

# Pictures of each step of the newcomer page for the README; Japanese needs a CJK font.
screenshots: venv browser
	@if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then $(APT) update -qq && $(APT) install -y -qq fonts-noto-cjk; fi
	$(BIN)/python -m tests.browser.screenshots docs/screenshots

# --- deployment -----------------------------------------------------------------------------------
# `make package` builds build/template.json + build/deployment.zip; `make deploy` ships them.
# Chalice takes the Lambda runtime from the interpreter it runs under: the venv's Python 3.12+.
STAGE ?= dev
STACK ?= iam-onboarding-$(STAGE)
BUILD := build
# The caller's own region, resolved as the AWS CLI does (AWS_REGION, AWS_DEFAULT_REGION, then the
# profile's `region`), never a default: a guessed region deploys where nobody looks, and Lambda cannot
# read its code from a bucket in another region. Passed to every command with --region.
DEPLOY_REGION = $(or $(AWS_REGION),$(AWS_DEFAULT_REGION),$(shell aws configure get region 2>/dev/null))

.PHONY: package package-test deploy deploy-settings

package: venv
	$(BIN)/python -m deploy.package --stage $(STAGE) $(BUILD)
	$(BIN)/cfn-lint $(BUILD)/template.json
	@echo "Built $(BUILD)/template.json and $(BUILD)/deployment.zip ($$(du -k $(BUILD)/deployment.zip | cut -f1) KiB)"
	@# Said only when packaging was the goal: inside `make deploy` the next step is under way.
	$(if $(filter deploy,$(MAKECMDGOALS)),,@echo "Next: make deploy ARTIFACT_BUCKET=<your code bucket> PUBLIC_BASE_URL=https://<the API's URL, no trailing slash>")

# Needs the AWS CLI, credentials of an admin with MFA, and an S3 bucket for the code (ARTIFACT_BUCKET).
# PUBLIC_BASE_URL: the API's EndpointURL without the trailing slash (known after a first deploy), or
# your own domain. The Slack SSM parameters are created by you after the first deploy, with the
# stack's KMS key (README, "Deploy it").
deploy: deploy-settings package
	@echo "Deploying $(STACK) to $(DEPLOY_REGION)"
	aws --region $(DEPLOY_REGION) cloudformation package --template-file $(BUILD)/template.json \
	  --s3-bucket $(ARTIFACT_BUCKET) --output-template-file $(BUILD)/packaged.json --use-json
	aws --region $(DEPLOY_REGION) cloudformation deploy --template-file $(BUILD)/packaged.json --stack-name $(STACK) \
	  --capabilities CAPABILITY_IAM --parameter-overrides PublicBaseUrl=$(PUBLIC_BASE_URL) \
	  $(if $(SLACK_ADMINS),SlackAdmins=$(SLACK_ADMINS)) $(if $(SLACK_TEAM_ID),SlackTeamId=$(SLACK_TEAM_ID)) \
	  $(if $(SLACK_APP_ID),SlackAppId=$(SLACK_APP_ID))

# Checked before packaging, so a missing setting costs no build.
deploy-settings:
	@command -v aws >/dev/null || { echo "make deploy needs the AWS CLI (https://aws.amazon.com/cli/)."; exit 1; }
	@test -n "$(DEPLOY_REGION)" || { echo "No AWS region is configured, and make deploy will not guess one."; \
	  echo "Set the region of your artifact bucket: 'aws configure set region eu-west-1' or AWS_DEFAULT_REGION=eu-west-1."; \
	  exit 1; }
	@test -n "$(ARTIFACT_BUCKET)" || { echo "Set ARTIFACT_BUCKET=<an S3 bucket for the code, in $(DEPLOY_REGION)>"; exit 1; }
	@test -n "$(PUBLIC_BASE_URL)" || { echo "Set PUBLIC_BASE_URL=https://..."; exit 1; }
	@# The form the template's AllowedPattern takes (^https://[^\s]+[^/\s]$), checked here before any build.
	@url='$(PUBLIC_BASE_URL)'; \
	  case "$$url" in https://?*) ;; *) echo "PUBLIC_BASE_URL must start with https:// (got $$url)."; exit 1;; esac; \
	  case "$$url" in *[[:space:]]*) echo "PUBLIC_BASE_URL must not contain spaces (got '$$url')."; exit 1;; esac; \
	  case "$$url" in */) echo "PUBLIC_BASE_URL must not end with / (got $$url): try $${url%/}"; exit 1;; esac

# --- fault injection -------------------------------------------------------------------------------
# Every AWS call of every operation fails in turn (tests/fault_cases.py); the table in docs/evidence.md
# (linked from the README) is this run, rewritten between its markers.
.PHONY: faults-table
faults-table: venv
	$(BIN)/python -m tests.fault_cases --doc docs/evidence.md > /dev/null

# --- evidence -------------------------------------------------------------------------------------
# `make load`: 50 concurrent newcomers (claim twice at once, enroll, verify) against `make run`'s stack,
# started on a free 127.0.0.1 port; prints throughput and latency percentiles, fails if a promise breaks.
.PHONY: load
NEWCOMERS ?= 50
load: venv
	$(BIN)/python -m bench.load --newcomers $(NEWCOMERS)
