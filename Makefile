# Two commands: `make run` starts the app, `make test` runs every test. Both set up .venv first.
# `make load` and `make load-figures` measure the app under load (Locust, installed only for them).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
URL ?= http://localhost:$(PORT)
USERS ?= 30
DURATION ?= 2m
THINK ?= 3-10

.PHONY: run test load load-check load-figures clean-venv

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Escala necesita Python 3.11 o posterior (PYTHON=python3.11 make ...).")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt constraints.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	@touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	@touch $@

$(VENV)/.load: requirements-load.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-load.txt -c constraints.txt
	@touch $@

run: $(VENV)/.runtime
	$(PY) -m escala init
	$(PY) -m escala seed-demo --if-empty
	$(PY) -m escala.ui.server --port $(PORT) --address localhost

test: $(VENV)/.dev
	# the whole suite on each engine: the DuckDB file, then PostgreSQL (a throwaway cluster per worker);
	# one worker per core, each with its own app server and browser
	ESCALA_TEST_ENGINE=duckdb $(PY) -m pytest -n auto --durations=15
	ESCALA_TEST_ENGINE=postgresql $(PY) -m pytest -n auto --durations=15

# Against a running app (`make run` in another terminal): URL (comma-separated for several
# processes), USERS, DURATION, THINK (seconds between steps), DB (the app's database, to count the tasks).
load: $(VENV)/.load
	$(PY) -m load.run --url $(URL) --users $(USERS) --duration $(DURATION) --think $(THINK) $(if $(DB),--database $(DB))

# The tasks of the run RUN (default load-$(USERS)u) counted in DB, once a DuckDB app has stopped.
load-check: $(VENV)/.load
	$(PY) -m load.run --count-only --label $(or $(RUN),load-$(USERS)u) $(if $(DB),--database $(DB))

# The figures on their own: DuckDB (1 process) and PostgreSQL (3 processes), 30 and 60 users, 2 minutes each.
load-figures: $(VENV)/.load
	$(PY) -m load.figures --duration $(DURATION) --think $(THINK)

clean-venv:
	rm -rf $(VENV)
