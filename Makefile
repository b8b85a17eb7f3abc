# Two entry points, each self-contained on a fresh machine:
#   make maps   builds the coverage report and maps from the shipped data into maps/
#   make test   runs the whole test suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: maps test lint clean chromium

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

maps: $(VENV)/.installed
	$(VENV)/bin/tianhe-geo build --out maps

# Browser tests need Debian's Chromium; installed here when running as root.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium not installed: browser tests will skip (apt-get install chromium)"; }

test: $(VENV)/.installed chromium
	$(PY) -m pytest -q

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests scripts bench
	$(VENV)/bin/ruff format --check src tests scripts bench

clean:
	rm -rf $(VENV) build dist .pytest_cache
