# Two commands for a fresh machine: `make run` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench lock clean

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit("newsbot needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint requirements.lock --editable '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/newsbot run

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench

test: lint
	$(BIN)/python -m pytest

# Figures for the README; they read ../shared/eval (see bench/*.py for more scripts).
bench: $(STAMP)
	$(BIN)/python bench/quality.py
	$(BIN)/python bench/scale.py --sizes 1000,10000

# Re-pin every dependency after changing pyproject.toml.
lock:
	rm -rf /tmp/newsbot-lock-venv
	$(PYTHON) -m venv /tmp/newsbot-lock-venv
	/tmp/newsbot-lock-venv/bin/python -m pip install --quiet '.[dev]'
	/tmp/newsbot-lock-venv/bin/python -m pip freeze --exclude newsbot > requirements.lock

clean:
	rm -rf $(VENV) build *.egg-info
