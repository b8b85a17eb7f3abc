# Two entry points, each self-contained on a fresh machine:
#   make maps   builds the coverage report and maps from the shipped data into maps/
#   make test   runs the whole test suite, and the main job on every other admitted Python
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# Pythons checked at once by `make pythons` (each: a venv, a pip install, the main job).
PYTHONS_JOBS ?= 1

.PHONY: maps test pythons lint clean chromium report-tools

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

maps: $(VENV)/.installed report-tools
	$(VENV)/bin/tianhe-geo build --out maps

# Browser tests need Debian's Chromium; installed here when running as root.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium not installed: browser tests will skip (apt-get install chromium)"; }

# The report's Chinese charts need a CJK font; its PDF test reads text with pdftotext.
report-tools:
	@{ fc-list 2>/dev/null | grep -q "Noto Sans CJK" && command -v pdftotext >/dev/null 2>&1; } || \
	  { [ "$$(id -u)" = 0 ] && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq fonts-noto-cjk poppler-utils >/dev/null) \
	  || echo "fonts-noto-cjk / poppler-utils not installed: zh charts and PDF tests will skip"; }

# The main job in a fresh venv per Python that requires-python admits, other than the main
# venv's (which pytest covers): non-editable install from a wheel of the checkout, outputs in a
# temporary folder. A missing interpreter fails the check (one line says where it was looked for).
pythons: $(VENV)/.installed
	$(PY) scripts/check_pythons.py --jobs $(PYTHONS_JOBS)

# pytest runs alongside `pythons` (2 cores: pytest takes one, the venvs the other); the
# Pythons' lines print after pytest's, and either failing fails the target.
test: $(VENV)/.installed chromium report-tools
	@log=$$(mktemp); \
	$(PY) scripts/check_pythons.py --jobs $(PYTHONS_JOBS) >$$log 2>&1 & pid=$$!; \
	trap 'kill $$pid 2>/dev/null; rm -f $$log' INT TERM; \
	$(PY) -m pytest -q; status=$$?; \
	wait $$pid || status=1; cat $$log; rm -f $$log; exit $$status

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests scripts bench
	$(VENV)/bin/ruff format --check src tests scripts bench

clean:
	rm -rf $(VENV) build dist .pytest_cache
