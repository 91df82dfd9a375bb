# Funnelboard. `make run` sets everything up and serves; `make test` runs the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
# The newest Python >= 3.12 on this machine (pyenv shims that point nowhere are skipped).
PYTHON ?= $(shell for p in python3.13 python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3.13 \
	$$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.13 /usr/local/bin/python3.12 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { command -v $$p; break; }; done)
PYTEST_ARGS ?=

NPM ?= npm
CHROMIUM ?= /usr/bin/chromium
BOARD_JS := $(shell find static/board static/settings -name '*.js' -not -path '*/tests/*' 2>/dev/null)

.PHONY: help install build run serve worker migrate demo static chromium test test-unit test-js test-e2e lint format bench clean

help:
	@echo "make run    set up everything and serve on http://$(HOST):$(PORT)/ (with one task worker)"
	@echo "make worker one more task worker (webhook deliveries) on the same database"
	@echo "make test   install what the tests need and run the whole suite"
	@echo "make lint   ruff + mypy;  make bench: the benchmarks"

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Funnelboard needs Python >= 3.12 (python3.13 or python3.12)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

# The front end's contract with the server: the JSON Schema of every board message
# and the socket's close codes, written from the Python side (manage.py event_contract).
CONTRACT_JS := static/board/generated/contract.js
$(CONTRACT_JS): $(VENV)/.installed leads/events/schema.py funnel/realtime/consumer.py
	$(NPM) run --silent contract

# The board's front end: ES modules bundled by esbuild (no CDN at run time).
static/dist/board.js: node_modules/.installed $(BOARD_JS) $(CONTRACT_JS)
	$(NPM) run --silent build

# plotly.js for the side panel's charts comes from the installed Python plotly
# package (no CDN at run time); copied here, not kept in git, loaded by the page
# the first time a chart is drawn.
PLOTLY_JS := static/vendor/plotly.min.js
$(PLOTLY_JS): $(VENV)/.installed
	@src="$$($(PY) -c 'import importlib.util, pathlib; print(pathlib.Path(importlib.util.find_spec("plotly").origin).parent / "package_data" / "plotly.min.js")')"; \
		test -f "$$src" || { echo "plotly.min.js not found in the installed plotly package ($$src)"; exit 1; }; \
		mkdir -p $(@D) && cp "$$src" $@

build: static/dist/board.js $(PLOTLY_JS)

# Debian's Chromium for the browser tests (Playwright never downloads a browser here).
chromium:
	@test -x $(CHROMIUM) || command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Chromium for the browser tests (apt-get)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null \
		|| { echo "Could not install Chromium: run 'sudo apt-get install chromium'"; exit 1; }; }

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo --if-empty

static: install build
	$(PY) manage.py collectstatic --noinput --verbosity 0

# A websocket frame over the socket's message limit is refused before it is read.
# X-Forwarded-For is read by the app itself, from TRUSTED_PROXIES only (config.clients).
WS_MAX_SIZE ?= $(or $(WS_MAX_MESSAGE_BYTES),4096)

# DEBUG is off under make run too, and a server with DEBUG off refuses the embedded
# SECRET_KEY (config/safety.py): without SECRET_KEY in the environment, settings read
# this checkout's own random key, written here once (gitignored, owner-only).
SECRET_KEY_FILE ?= .secret_key
$(SECRET_KEY_FILE):
	@test -n "$(PYTHON)" || { echo "Funnelboard needs Python >= 3.12 (python3.13 or python3.12)"; exit 1; }
	@umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@.tmp && mv $@.tmp $@
	@echo "Wrote a random SECRET_KEY for this checkout to $@"

# One task worker (manage.py worker: webhook deliveries) runs beside the server and
# stops with it; `make worker` starts one more, on the same database.
# The demo board `make demo` seeds ("Q4 Pipeline"): new users may join it as viewers.
DEMO_BOARD ?= q4-pipeline
run: $(SECRET_KEY_FILE) demo static
	@echo "Funnelboard on http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/docs/)"
	@$(PY) manage.py worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEMO_BOARD=$(DEMO_BOARD) $(PY) -m uvicorn config.asgi:application --host $(HOST) --port $(PORT) --ws websockets-sansio \
		--ws-max-size $(WS_MAX_SIZE) --no-proxy-headers --lifespan off --no-access-log

# Production: WORKERS uvicorn processes on PostgreSQL + Redis (see README). Protocol
# pings every 20 s drop dead sockets; each worker fans out to its own sockets.
WORKERS ?= 2
serve: install static
	@test -n "$$DATABASE_URL" || { echo "make serve needs DATABASE_URL (PostgreSQL)"; exit 1; }
	@test -n "$$REDIS_URL" || { echo "make serve needs REDIS_URL (the workers share events through it)"; exit 1; }
	@test -n "$$SECRET_KEY$$SECRET_KEY_FILE" || { echo "make serve needs SECRET_KEY (50+ random characters) or SECRET_KEY_FILE"; exit 1; }
	$(PY) manage.py migrate --noinput
	@$(PY) manage.py worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) -m uvicorn config.asgi:application --host $(HOST) --port $(PORT) --workers $(WORKERS) \
		--ws websockets-sansio --ws-ping-interval 20 --ws-ping-timeout 20 --ws-max-size $(WS_MAX_SIZE) \
		--lifespan off --no-access-log --no-proxy-headers

# One more task worker beside `make run` or `make serve` (which migrate): any number
# may run, on any machine that reaches the database (each task runs once, each webhook
# has one deliverer at a time). DATABASE_URL names the database, as for the server.
worker: install
	$(PY) manage.py worker

# Unit, API and websocket tests; the front end's pure logic (node --test); then the
# browser tests in real Chromium, in a pytest process of their own.
test: test-unit test-js test-e2e

test-unit: install node_modules/.installed $(CONTRACT_JS)
	$(PY) -m pytest -q $(PYTEST_ARGS) tests --ignore=tests/e2e --ignore=tests/benchmarks

test-js: node_modules/.installed $(CONTRACT_JS)
	$(NPM) test --silent

test-e2e: static chromium
	$(PY) -m pytest -q $(PYTEST_ARGS) tests/e2e

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy config funnel leads

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/9

# The benchmarks on the embedded default, then on PostgreSQL + Redis when both answer.
bench: static chromium
	$(PY) -m pytest -q -s tests/benchmarks $(PYTEST_ARGS)
	@if pg_isready -q -h 127.0.0.1 && redis-cli -u $(BENCH_REDIS_URL) ping >/dev/null 2>&1; then \
		DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(PY) -m pytest -q -s tests/benchmarks $(PYTEST_ARGS); \
	else echo "PostgreSQL or Redis not running: benchmarks ran on SQLite only"; fi

clean:
	rm -rf $(VENV) staticfiles artifacts *.sqlite3 *.sqlite3-* *.sqlite3.locks
