# kassa: `make run` starts the service on SQLite with the sandboxes on; `make test` checks everything.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml clients/python/pyproject.toml | sha1sum | cut -c1-12)
PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install bench browser run test lint typecheck test-sqlite test-postgres test-container chaos property screenshots clean

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
	@echo "  API docs:     http://$(HOST):$(PORT)/docs"
	@echo "  Sandboxes:    http://$(HOST):$(PORT)/sandbox/<provider>/"
	@echo "  Admin token (12 h):"
	@echo "    export KASSA_TOKEN=$$($(BIN)/kassa token admin --role admin --minutes 720)"
	@echo '  Try: curl -H "Authorization: Bearer $$KASSA_TOKEN" http://$(HOST):$(PORT)/api/v1/tariffs'
	@echo ""
	$(BIN)/kassa serve --host $(HOST) --port $(PORT)

test: install browser lint typecheck test-sqlite test-postgres test-container

# The admin UI's browser test drives Debian's Chromium, and Russian invoices print in DejaVu
# Sans; install them when missing (root only).
browser:
	@{ test -x /usr/bin/chromium && test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf; } \
		|| { [ "$$(id -u)" = 0 ] && echo "installing Debian packages: chromium fonts-dejavu-core" \
			&& (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq chromium fonts-dejavu-core) \
		|| echo "Chromium or DejaVu missing: install Debian's chromium and fonts-dejavu-core"; }

lint: install
	$(BIN)/ruff check kassa tests bench clients
	$(BIN)/ruff format --check kassa clients/python
	$(BIN)/lint-imports  # the layering rules of docs/architecture.md (pyproject.toml)

typecheck: install
	$(BIN)/mypy kassa
	$(BIN)/mypy --strict clients/python/kassa_client

test-sqlite: install
	@echo "== tests on SQLite =="
	$(BIN)/pytest

test-postgres: install
	@if $(BIN)/python -m tests.services "$(PG_URL)" "$(REDIS_TEST_URL)"; then \
		echo "== tests on PostgreSQL with Redis =="; \
		KASSA_TEST_DATABASE_URL="$(PG_URL)" KASSA_TEST_REDIS_URL="$(REDIS_TEST_URL)" $(BIN)/pytest && \
		echo "== fault suite, short (PostgreSQL restart, SIGKILL, Redis stop) ==" && \
		KASSA_CHAOS=1 KASSA_CHAOS_PAYMENTS=60 $(BIN)/pytest -s tests/chaos; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL or Redis is not answering, and CI=true: failing" >&2; exit 1; \
	else \
		echo "== PostgreSQL or Redis not answering: skipped the second run (CI=true makes this fail) =="; \
	fi

# The image from the Dockerfile, built with podman on a Debian made by debootstrap and
# started (API and worker) against PostgreSQL and a Redis of its own: tests/container.
# Needs root; installs Debian's podman, runc and debootstrap when missing.
test-container: install
	@{ command -v podman && command -v runc && command -v debootstrap; } >/dev/null 2>&1 \
		|| { [ "$$(id -u)" = 0 ] && echo "installing Debian packages: podman runc debootstrap" \
			&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq podman runc debootstrap; } || true
	@if [ "$$(id -u)" = 0 ] && command -v podman >/dev/null && command -v debootstrap >/dev/null; then \
		echo "== the container image, built and started =="; \
		KASSA_CONTAINER=1 KASSA_TEST_DATABASE_URL="$(PG_URL)" $(BIN)/pytest -s tests/container; \
	elif [ "$$CI" = "true" ]; then \
		echo "the container test needs root, podman and debootstrap, and CI=true: failing" >&2; exit 1; \
	else \
		echo "== not root or no podman: the container test did not run (CI=true makes this fail) =="; \
	fi

bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && \
		(echo "installing Debian package: wrk" && apt-get update -qq \
			&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) \
		|| echo "wrk missing: install Debian's wrk package for the benchmark"; }
	$(BIN)/python -m bench.run

# The admin UI's screenshots in docs/ are refreshed on purpose, never by `make test`.
screenshots: install browser
	KASSA_SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest tests/test_admin_browser.py

chaos: install
	KASSA_CHAOS=1 KASSA_CHAOS_PAYMENTS=$${KASSA_CHAOS_PAYMENTS:-400} $(BIN)/pytest -s tests/chaos

# The money-backs-time property test at length: 5 000 random histories on SQLite, then on
# PostgreSQL (`make test` runs 500 on each).
property: install
	KASSA_PROPERTY_EXAMPLES=$${KASSA_PROPERTY_EXAMPLES:-5000} $(BIN)/pytest -q tests/test_money_backs_time.py
	KASSA_PROPERTY_EXAMPLES=$${KASSA_PROPERTY_EXAMPLES:-5000} KASSA_TEST_DATABASE_URL="$(PG_URL)" \
		$(BIN)/pytest -q tests/test_money_backs_time.py

clean:
	rm -rf $(VENV) kassa.db kassa.db-wal kassa.db-shm .mypy_cache .ruff_cache
