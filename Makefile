# kassa: `make run` starts the service on SQLite with the sandboxes on; `make test` checks everything.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml clients/python/pyproject.toml | sha1sum | cut -c1-12)
PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
# Each suite runs twice: with kassa's throughput machinery (FAST_PATHS=on, kassa/fast/), then
# with its plain equivalents (FAST_PATHS=off: SQLAlchemy and FastAPI as documented, no
# frozen collector), which must pass the same assertions; kassa processes the tests start
# inherit FAST_PATHS. To keep `make test` under half an hour on two cores the second pass
# leaves out the two slowest tests, which exercise no piece beyond what the rest does: the
# money-backs-time property test (`make property` runs it at length) and the admin's browser
# test. A test about a piece itself (@pytest.mark.fast) is skipped while its piece is off.
PLAIN_PASS := FAST_PATHS=off
PLAIN_LEAVES_OUT := --deselect tests/billing/test_money_backs_time.py --deselect tests/admin/test_admin_browser.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install deps test-deps bench browser run test lint typecheck test-sqlite test-postgres test-container chaos property screenshots clean

$(STAMP): pyproject.toml clients/python/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,brokers]' -e clients/python
	rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/kassa migrate
	@echo ""
	@echo "kassa is starting on http://$(HOST):$(PORT) ($(if $(DATABASE_URL),the database DATABASE_URL names,SQLite: ./kassa.db), provider sandboxes on)"
	@echo "  Start here:   http://$(HOST):$(PORT)/"
	@echo "  API docs:     http://$(HOST):$(PORT)/docs (no internet needed)"
	@echo "  Sandboxes:    http://$(HOST):$(PORT)/sandbox/<provider>/ (each linked from the start page)"
	@echo "  Admin token (12 h):"
	@echo "    export KASSA_TOKEN=$$($(BIN)/kassa token admin --role admin --minutes 720)"
	@echo '  Try: curl -H "Authorization: Bearer $$KASSA_TOKEN" http://$(HOST):$(PORT)/api/v1/tariffs'
	@echo ""
	$(BIN)/kassa serve --host $(HOST) --port $(PORT)

test: install test-deps lint typecheck test-sqlite test-postgres test-container

# The Debian packages the tests and make bench use (scripts/deps.sh names each and why): as
# root the missing ones are installed, with their names and apt's output; otherwise it says
# what is missing and how to get it. A test whose tool is missing is skipped, or fails when
# CI=true.
deps:
	@sh scripts/deps.sh test bench

test-deps:
	@echo "== make test first checks the Debian packages the tests use (make deps) =="
	@sh scripts/deps.sh test

# The admin UI's browser test drives Debian's Chromium, and Russian invoices print in DejaVu Sans.
browser:
	@sh scripts/deps.sh browser

lint: install
	$(BIN)/ruff check kassa tests bench clients
	$(BIN)/ruff format --check kassa clients/python
	$(BIN)/lint-imports  # the layering rules of docs/architecture.md (pyproject.toml)

typecheck: install
	$(BIN)/mypy kassa
	$(BIN)/mypy --strict clients/python/kassa_client

test-sqlite: install
	@echo "== tests on SQLite, FAST_PATHS=on =="
	FAST_PATHS=on $(BIN)/pytest
	@echo "== tests on SQLite, FAST_PATHS=off (the plain equivalents) =="
	$(PLAIN_PASS) $(BIN)/pytest $(PLAIN_LEAVES_OUT)

test-postgres: install
	@if $(BIN)/python -m tests.services "$(PG_URL)" "$(REDIS_TEST_URL)"; then \
		echo "== tests on PostgreSQL with Redis, FAST_PATHS=on =="; \
		FAST_PATHS=on KASSA_TEST_DATABASE_URL="$(PG_URL)" KASSA_TEST_REDIS_URL="$(REDIS_TEST_URL)" $(BIN)/pytest && \
		echo "== tests on PostgreSQL with Redis, FAST_PATHS=off (the plain equivalents) ==" && \
		$(PLAIN_PASS) KASSA_TEST_DATABASE_URL="$(PG_URL)" KASSA_TEST_REDIS_URL="$(REDIS_TEST_URL)" \
			$(BIN)/pytest $(PLAIN_LEAVES_OUT) && \
		echo "== fault suite, short (PostgreSQL restart, SIGKILL, Redis stop) ==" && \
		FAST_PATHS=on KASSA_CHAOS=1 KASSA_CHAOS_PAYMENTS=60 $(BIN)/pytest -s tests/chaos; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL or Redis is not answering, and CI=true: failing" >&2; exit 1; \
	else \
		echo "== PostgreSQL or Redis not answering: skipped the second run (CI=true makes this fail) =="; \
	fi

# The image from the Dockerfile, built with podman on a Debian made by debootstrap and
# started (API and worker) against PostgreSQL and a Redis of its own: tests/container.
# Needs root, and Debian's podman, runc and debootstrap (make deps).
test-container: install
	@sh scripts/deps.sh container
	@if [ "$$(id -u)" = 0 ] && command -v podman >/dev/null && command -v debootstrap >/dev/null; then \
		echo "== the container image, built and started =="; \
		KASSA_CONTAINER=1 KASSA_TEST_DATABASE_URL="$(PG_URL)" $(BIN)/pytest -s tests/container; \
	elif [ "$$CI" = "true" ]; then \
		echo "the container test needs root, podman and debootstrap, and CI=true: failing" >&2; exit 1; \
	else \
		echo "== not root or no podman: the container test did not run (CI=true makes this fail) =="; \
	fi

# Writes its tables to build/benchmarks.md; docs/performance.md says how to read them.
bench: install
	@sh scripts/deps.sh bench
	$(BIN)/python -m bench.run

# The admin UI's screenshots in docs/ are refreshed on purpose, never by `make test`.
screenshots: install browser
	KASSA_SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest tests/admin/test_admin_browser.py

chaos: install
	KASSA_CHAOS=1 KASSA_CHAOS_PAYMENTS=$${KASSA_CHAOS_PAYMENTS:-400} $(BIN)/pytest -s tests/chaos

# The money-backs-time property test at length: 5 000 random histories on SQLite, then on
# PostgreSQL (`make test` runs 500 on each).
property: install
	KASSA_PROPERTY_EXAMPLES=$${KASSA_PROPERTY_EXAMPLES:-5000} $(BIN)/pytest -q tests/billing/test_money_backs_time.py
	KASSA_PROPERTY_EXAMPLES=$${KASSA_PROPERTY_EXAMPLES:-5000} KASSA_TEST_DATABASE_URL="$(PG_URL)" \
		$(BIN)/pytest -q tests/billing/test_money_backs_time.py

clean:
	rm -rf $(VENV) kassa.db kassa.db-wal kassa.db-shm .mypy_cache .ruff_cache
