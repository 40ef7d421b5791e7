# Two commands for a fresh machine (see README.md):
#   make run    set up, then serve the demo on http://127.0.0.1:5000 (SQLite, demo data;
#               PORT=5001 make run for another port)
#   make test   set up, then run the whole test suite (SQLite; TEST_DATABASE_URL for PostgreSQL)
# .python-version pins the version for buildpacks (PaaS) and for this Makefile alike.
PYTHON_VERSION := $(shell cat .python-version)
PYTHON ?= $(shell command -v python$(PYTHON_VERSION) || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEMO_PROVIDERS ?= 2000
HOST ?= 127.0.0.1
PORT ?= 5000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-postgres chromium bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# The web server and the worker (email delivery, follow-ups) together. Ctrl-C (or
# SIGTERM) stops both, the worker after the row in hand; if the web server exits, the
# worker is stopped too. Both run in the background so that `wait` returns on a signal.
# The seed's emails are written with the BASE_URL the site is served on (and sent on the
# BASE_URL of their moment: alma/mail/service.py's rebased).
run: $(VENV)/.runtime
	export ALMA_ENV=development BASE_URL="$${BASE_URL:-http://$(HOST):$(PORT)}"; \
	$(BIN)/flask --app app db upgrade || exit $$?; \
	$(BIN)/flask --app app seed --if-empty --providers $(DEMO_PROVIDERS) || exit $$?; \
	$(BIN)/flask --app app worker & worker=$$!; \
	$(BIN)/flask --app app run --host $(HOST) --port $(PORT) & web=$$!; \
	stop() { trap - INT TERM; kill $$web $$worker 2>/dev/null; wait $$web $$worker 2>/dev/null; }; \
	trap 'stop; exit 0' INT TERM; \
	wait $$web; status=$$?; stop; exit $$status

# Debian's Chromium drives the browser tests; Playwright never downloads one.
chromium:
	@test -x /usr/bin/chromium || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: $(VENV)/.dev chromium
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres:
	$(MAKE) test TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}

bench: $(VENV)/.dev
	$(BIN)/python bench/directory.py

clean:
	rm -rf $(VENV) instance .pytest_cache
