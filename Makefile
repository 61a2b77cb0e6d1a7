# Two commands: `make run` starts the app, `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test clean-venv

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Escala necesita Python 3.11 o posterior (PYTHON=python3.11 make ...).")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt constraints.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	@touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
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

clean-venv:
	rm -rf $(VENV)
