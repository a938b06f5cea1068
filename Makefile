# Two commands on a fresh machine: `make run` (the bot on its embedded default) and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: install browser run serve test test-model test-all bench lint clean

$(BIN)/billing-bot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip
	# torch first and pinned: the CPU build; any other version would pull CUDA wheels.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/billing-bot

run: install  ## chat as the sample overdue customer (SQLite + ./knowledge, no credentials)
	$(BIN)/billing-bot chat --customer $(or $(CUSTOMER),fabrikam)

serve: install  ## the HTTP server: Teams (/api/messages), Slack (/slack/events), /healthz
	$(BIN)/billing-bot serve

# The report page's browser test renders it in Debian's headless Chromium; without root or apt
# it is skipped, saying why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; } \
	  || echo "chromium could not be installed: the report's browser test will be skipped"

test: install browser  ## the normal suite: unit, protocol and PostgreSQL tests (the real model aside)
	$(BIN)/pytest -q -m "not model"

test-model: install  ## the real-model tests (slow: the embedding model, conversation evals)
	$(BIN)/pytest -q -m model

test-all: test test-model  ## what CI runs after lint

bench: install
	$(BIN)/python benchmarks/core.py
	$(BIN)/python benchmarks/scope_gate.py
	$(BIN)/python benchmarks/tickets_throughput.py
	$(BIN)/python benchmarks/teams_server.py

lint: install  ## ruff (lint and format), then mypy (strict for bot/, default for adapters/)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .billing-bot .pytest_cache
