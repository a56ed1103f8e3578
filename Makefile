# Every target installs what it needs on first use (venv, pip, npm ci), so a fresh clone
# needs no other step. The stamp is rebuilt when a dependency file changes.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTHON ?= python3
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: setup test heldout demo synth bench lint clean

WHEELS := build/wheels

$(STAMP): requirements.txt requirements-dev.txt lambda/requirements.txt pyproject.toml package-lock.json
	@echo "==> first run: creating $(VENV) and installing Python and Node dependencies (a few minutes)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt -e .
	@echo "==> fetching the Lambda asset's arm64 wheels (python3.13) into $(WHEELS)"
	$(BIN)/pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: --implementation cp \
		--python-version 3.13 --platform manylinux2014_aarch64 -d $(WHEELS) -r lambda/requirements.txt
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(STAMP)

test: setup
	$(BIN)/pytest

heldout: setup
	$(BIN)/python tools/corpus_report.py heldout

demo: setup
	$(BIN)/stop-recorder demo

# CDK_ARGS reaches tools/cdk_args.py raw (unexpanded, single-quoted for the shell), so JSON context values
# keep their double quotes and `$` anchors: make synth CDK_ARGS='-c customRules=[{"id": …}]'.
CDK := CDK_ARGS='$(subst ','\'',$(value CDK_ARGS))' $(BIN)/python tools/cdk_args.py

synth: setup
	$(CDK) synth --quiet && echo "==> templates in cdk.out/ (try: make synth CDK_ARGS='-c destinations=newrelic,datadog')"

bench: setup
	$(BIN)/python bench/run.py

# Lint the default configuration and one with every feature the README documents switched on.
ALL_FEATURES := -c destinations=newrelic,datadog -c slackWebhook=true -c slackWorkspaceId=T0000000000 \
	-c slackChannelId=C0000000000 -c chatbotReadsTasksAndLogs=true -c metricsByCluster=true -c tracing=true

lint: setup
	$(CDK) synth --quiet && $(BIN)/cfn-lint cdk.out/*.template.json
	@echo "==> all-features configuration"
	$(CDK) synth --quiet -o cdk.out/all-features $(ALL_FEATURES) && $(BIN)/cfn-lint cdk.out/all-features/*.template.json

clean:
	rm -rf $(VENV) node_modules cdk.out build .pytest_cache .hypothesis
