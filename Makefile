# ENT — the two commands: `make run` (demo on embedded defaults) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint messages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	./scripts/oscrypto-openssl3.sh $(BIN)/python
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	./scripts/oscrypto-openssl3.sh $(BIN)/python
	touch $@ $(VENV)/.runtime

## Run the product with demo data on embedded defaults (SQLite, in-memory layers, local S3).
run: $(VENV)/.runtime
	./scripts/run.sh

## Lint, migrations check, the whole test suite, then the browser tests.
test: $(VENV)/.dev
	./scripts/test.sh

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Regenerate and compile the French and English translations.
messages: $(VENV)/.dev
	cd ent && ../$(BIN)/python ../manage.py makemessages -l fr -l en --no-obsolete --ignore "static/*"
	for app in homework absences messaging media; do (cd $$app && ../$(BIN)/python ../manage.py makemessages -l fr -l en --no-obsolete 2>/dev/null || true); done
	$(BIN)/python manage.py compilemessages --ignore .venv

bench: $(VENV)/.dev
	./scripts/bench.sh

clean:
	rm -rf var/ .pytest_cache .ruff_cache
