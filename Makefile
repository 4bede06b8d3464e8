# Two commands: `make demo` and `make test`. Both create .venv from PyPI when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
DEMO_OUT ?= results/demo
VALIDATE_OUT ?= results/validate

.PHONY: demo test validate bench docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -U pip

# Stamp files: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PIP) install -e '.[dev]'
	touch $@ $(VENV)/.installed

# The demo's directory is scratch: each `make demo` starts it afresh.
demo: $(VENV)/.installed
	rm -rf $(DEMO_OUT)
	$(VENV)/bin/scoresim compare social-credit ability-to-pay no-score --agents 100000 --years 10 --out $(DEMO_OUT)
	$(VENV)/bin/scoresim report $(DEMO_OUT)

# How sure are we: the calibration, the robustness of every claim, and a report with both.
# Each step resumes where an interrupted `make validate` stopped (delete the directory to
# start afresh).
validate: $(VENV)/.installed
	$(VENV)/bin/scoresim calibrate --out $(VALIDATE_OUT)/calibration --resume
	$(VENV)/bin/scoresim robustness --out $(VALIDATE_OUT)/robustness --resume
	$(VENV)/bin/scoresim compare social-credit ability-to-pay no-score --agents 10000 --years 10 \
		--replicates 5 --out $(VALIDATE_OUT)/compare --resume
	$(VENV)/bin/scoresim report $(VALIDATE_OUT)/compare --calibration $(VALIDATE_OUT)/calibration \
		--robustness $(VALIDATE_OUT)/robustness

# The browser tests drive Debian's Chromium; install it when missing (CI runs as root).
test: $(VENV)/.installed-dev
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	$(VENV)/bin/ruff check scoresim tests examples benchmarks
	$(VENV)/bin/ruff format --check scoresim tests examples benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest -q

# Side-by-side measurements; bench_all.py writes benchmarks/results.md.
bench: $(VENV)/.installed-dev
	$(PY) benchmarks/bench_all.py
	$(PY) benchmarks/bench_society.py
	$(PY) benchmarks/bench_sweep.py
	$(PY) benchmarks/bench_explore.py

docs: $(VENV)/.installed
	$(PY) -m scoresim.reference docs

clean:
	rm -rf $(VENV) results .mypy_cache .ruff_cache .pytest_cache
