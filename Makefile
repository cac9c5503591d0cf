# Two commands: `make run` (install, demo cities on SQLite, serve on :8000) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
KYODO := $(VENV)/bin/kyodo
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format typecheck bench i18n lock clean

# Dependencies come from requirements.lock (exact versions with hashes, what the tests passed with);
# the project itself is then installed on top without resolving anything again.
$(VENV)/.installed: pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q --require-hashes -r requirements.lock
	$(VENV)/bin/pip install -q --no-deps -e .
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
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

typecheck: install
	$(VENV)/bin/mypy

# Refresh requirements.lock after changing the dependencies in pyproject.toml (then commit both).
lock: install
	$(VENV)/bin/pip install -q pip-tools
	$(VENV)/bin/pip-compile -q --upgrade --generate-hashes --allow-unsafe --extra test --strip-extras \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

lint: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	@for f in tests/bench/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

i18n: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o tenant_core/translations/messages.pot .
	$(VENV)/bin/pybabel update -i tenant_core/translations/messages.pot -d tenant_core/translations
	$(VENV)/bin/pybabel compile -d tenant_core/translations

clean:
	rm -rf var .pytest_cache .hypothesis tests/artifacts
