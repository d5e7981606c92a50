# Two commands set everything up on a fresh machine:
#   make lab    install if needed, then open the course in JupyterLab
#   make test   install if needed, then run every test
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(abspath $(VENV))/bin
PORT ?= 8888

# nbgrader runs `alembic` from PATH when it creates a gradebook, and the venv's own
# python3 kernel must win over any user-level kernelspec of the same name.
export PATH := $(BIN):$(PATH)
export JUPYTER_PATH := $(abspath $(VENV))/share/jupyter

.PHONY: install install-test chromium acl postgresql lab test grade bench pages lessons check clean \
	hub hub-stop cluster cluster-stop

# Stamps make setup idempotent: pip runs again only when a requirements file changes.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt -e .
	@touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-test.txt
	@touch $@

$(VENV)/.installed-bench: requirements-bench.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-bench.txt
	@touch $@

# The browser tests (tests/test_browser.py) drive Debian's chromium through Playwright; a
# browser is never downloaded (no `playwright install`). Installed here only when missing and
# possible (root with apt-get), so a second run costs nothing. Where it cannot be installed,
# those tests skip with the reason, except under CI=true, where they fail.
CHROMIUM := /usr/bin/chromium

chromium:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests (apt-get)..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
			>/dev/null || echo "Could not install chromium: browser tests will skip (fail if CI=true)."; \
	else \
		echo "No chromium, and installing it needs root and apt-get: browser tests will skip."; \
	fi

# The PostgreSQL gradebook tests start Debian's PostgreSQL server themselves; it is installed
# here the same way (root with apt-get, only when missing). Where it cannot be, those tests
# skip with the reason, except under CI=true, where they fail.
postgresql: $(VENV)/.installed
	@$(BIN)/autograder cluster install || echo "PostgreSQL gradebook tests will skip (fail if CI=true)."

# JupyterHub's proxy, configurable-http-proxy, pinned in package.json/package-lock.json.
PROXY := node_modules/.bin/configurable-http-proxy

$(PROXY): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for JupyterHub's proxy (apt-get install npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# setfacl (Debian's acl): `make hub` lets its accounts' group through folders above the course
# environment that let nobody else through (a Python under /root, say). Same rules as chromium.
acl:
	@if command -v setfacl >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's acl for the hub (apt-get)..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq acl \
			>/dev/null || echo "Could not install acl: hub tests will skip (fail if CI=true)."; \
	fi

install: $(VENV)/.installed $(PROXY)
install-test: install $(VENV)/.installed-test chromium acl postgresql

lab: install
	@echo "Starting JupyterLab on the course. Open the http://127.0.0.1:$(PORT)/lab?token=... URL printed below;"
	@echo "lessons are in lessons/ (student versions), solutions in solutions/. Stop with Ctrl-C."
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --ServerApp.ip=127.0.0.1 \
		--ServerApp.port=$(PORT) $(if $(filter 0,$(shell id -u)),--allow-root,) $(LAB_ARGS)

# Both cores: each test module runs whole on one worker (tests/conftest.py groups them).
PYTEST_ARGS ?= -n 2

test: install-test
	$(BIN)/pytest $(PYTEST_ARGS)

# The course for a whole class on this machine (as root: it creates the roster's Unix users):
# JupyterHub on http://127.0.0.1:$(HUB_PORT)/ with nbgrader's exchange and grade-on-submit.
# Prints the URL and the accounts; `make hub-stop` stops everything it started.
HUB_PORT ?= 8000
ROSTER ?= hub/roster.toml

hub: install acl
	$(BIN)/autograder hub start --roster $(ROSTER) --port $(HUB_PORT) $(HUB_ARGS)

hub-stop:
	$(BIN)/autograder hub stop

# Grade the bundled sample class(es): parallel, sandboxed, hidden tests kept out of feedback,
# time limits from each solution's own measured run (no fixed timeout: a busy machine must
# not change a grade). Writes graded/grades.csv, graded/NN-slug-cells.csv and -outcomes.csv,
# graded/feedback/. Exits 1 if a sample's grade differs from its samples/NN-slug/class.toml.
grade: install
	$(BIN)/autograder grade --sample $(GRADE_ARGS)

# Measure the course and the grader (20 to 30 min on 2 cores; run it on a quiet machine):
# grading against stock nbgrader, artifact checks, each lesson's run time, serialization
# throughput, every route of the format guide, install time. Rewrites docs/benchmarks.md, its
# data (docs/benchmarks.json) and docs/images/benchmarks.png, then the pages that quote it.
# requirements-bench.txt adds LightGBM, XGBoost and Keras, for the guide's native-format rows.
bench: install $(VENV)/.installed-bench
	$(BIN)/autograder bench $(BENCH_ARGS)
	$(BIN)/autograder pages

# Regenerate docs/formats.md, claims.md, errors.md, glossary.md and reading.md from their data
# (docs/benchmarks.json, the mistakes catalogue, autograder/pages/*.toml); `make bench` does too.
pages: install
	$(BIN)/autograder pages

# Grading past one machine, on this one: a Dask scheduler with two workers and a PostgreSQL
# server, on 127.0.0.1 only, data in a temporary folder. Prints the --dask and --db to grade
# with; `make cluster-stop` ends them and deletes their data.
cluster: install postgresql
	$(BIN)/autograder cluster start $(CLUSTER_ARGS)

cluster-stop:
	$(BIN)/autograder cluster stop

# Regenerate the student versions from the single source (never edit lessons/ by hand).
lessons: install
	$(BIN)/autograder lessons

# Quick instructor checks: no drift, solutions pass, student versions fail, ruff clean.
check: install-test
	$(BIN)/autograder lessons --check --validate
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules
	find . -path ./autograder -prune -o -path ./$(VENV) -prune -o -name artifacts -type d -prune \
		-exec rm -rf {} +
