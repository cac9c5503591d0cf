# Two commands: `make run` (install, demo cities on SQLite, serve on :8000) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
KYODO := $(VENV)/bin/kyodo
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format bench i18n clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	KYODO_DEMO=1 $(KYODO) init --demo
	@echo ""
	@echo "  Kyodo is starting on http://$(HOST):$(PORT)/"
	@echo "  Demo cities:  http://$(HOST):$(PORT)/fuji/  (富士市)   http://$(HOST):$(PORT)/fujinomiya/  (富士宮市)"
	@echo "  Operator:     http://$(HOST):$(PORT)/platform/"
	@echo "  Demo accounts (printed above): admin, clerk, finance in each city; operator on /platform/login"
	@echo ""
	KYODO_DEMO=1 $(KYODO) run --host $(HOST) --port $(PORT)

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	@for f in tests/bench/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

i18n: install
	$(VENV)/bin/pybabel extract -F babel.cfg -o tenant_core/translations/messages.pot .
	$(VENV)/bin/pybabel update -i tenant_core/translations/messages.pot -d tenant_core/translations
	$(VENV)/bin/pybabel compile -d tenant_core/translations

clean:
	rm -rf var .pytest_cache .hypothesis tests/artifacts
