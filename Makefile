# mapro: two commands on a fresh machine with Python 3.11 or later (3.11, 3.12, 3.13) and make.
#   make demo   set up and serve the system with demo data on http://127.0.0.1:$(PORT)
#   make test   set up and run every test
# PYTHON: the newest of python3.13, python3.12, python3.11 and python3 on the PATH that runs and is
# 3.11 or later (PYTHON=/path/to/python to choose). VENV: where the virtualenv goes (.venv).
PYTHON_AT_LEAST := import sys; sys.exit(sys.version_info < (3, 11))
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c '$(PYTHON_AT_LEAST)' >/dev/null 2>&1 && { echo $$p; break; }; done)
endif
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -c '$(PYTHON_AT_LEAST)' >/dev/null 2>&1 || { \
	  echo "Se necesita Python 3.11 o posterior (python3.13, python3.12, python3.11 o python3; o PYTHON=/ruta/python)."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	@mkdir -p var

demo: setup
	@# The demo signs in without the second factor (MAPRO_OTP_REQUIRED=0); production and tests ask for it.
	MAPRO_DEMO=1 $(BIN)/mapro migrate --noinput
	MAPRO_DEMO=1 $(BIN)/mapro load_organization
	MAPRO_DEMO=1 $(BIN)/mapro demo_users
	MAPRO_DEMO=1 $(BIN)/mapro demo_cases
	MAPRO_DEMO=1 $(BIN)/mapro demo_registers
	@# The scheduler runs beside the server and stops with it.
	MAPRO_DEMO=1 $(BIN)/mapro worker & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	MAPRO_DEMO=1 MAPRO_OTP_REQUIRED=0 $(BIN)/mapro serve --port $(PORT)

test: setup
	$(BIN)/mapro procedures validate
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) var
