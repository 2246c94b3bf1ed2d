# Set-up and everyday commands. `make demo` and `make test` work on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export FLASK_APP := wsgi
# A local secret for the demo and the CLI, made once; production sets SCORE_SECRET_KEY itself.
WITH_KEY = export SCORE_SECRET_KEY="$${SCORE_SECRET_KEY:-$$(cat instance/secret_key)}";

# Debian packages the app needs: Pango for WeasyPrint's PDFs, fonts that cover Latin,
# Vietnamese, Arabic and Chinese names (fonts-noto-cjk), embedded in every PDF as a subset of
# the characters used, and pg_dump/pg_restore for backups.
DEB_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-core fonts-noto-cjk fonts-dejavu-core poppler-utils postgresql-client
# Debian's Chromium, which Playwright drives in tests/e2e/ and the benchmarks (its own browser
# download cannot work here); system-packages installs it too when it runs for those targets.
test bench: DEB_PACKAGES += chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The lock: every package the app (app.txt) or its tests (test.txt) install, at one version with
# its hashes, so two machines install the same releases. setup.cfg keeps the ranges; `make lock`
# compiles them into the lock with pip-compile (in a venv of its own, pinned below), keeping the
# versions already locked where they still fit; `make lock-upgrade` moves everything to the
# newest releases the ranges allow (`make lock LOCK_ARGS="--upgrade-package flask"`: one only).
LOCK_APP := requirements/app.txt
LOCK_TEST := requirements/test.txt
LOCK_VENV := .venv-lock
LOCK_TOOLS := pip==26.3 pip-tools==7.6.2
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: cluster demo test install lint format i18n-update system-packages bench load lock lock-upgrade lock-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installs only what the lock names (hashes checked), then the project itself without
# resolving anything, and lets pip confirm the result meets setup.cfg's ranges.
$(VENV)/.installed: setup.cfg pyproject.toml $(LOCK_APP) | $(BIN)/python
	$(BIN)/python requirements/lockfile.py check
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK_APP)
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $@

$(VENV)/.installed-test: $(LOCK_TEST) $(VENV)/.installed
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK_TEST)
	$(BIN)/pip check
	touch $@

# Made again when this file changes, so a new LOCK_TOOLS takes effect.
$(LOCK_VENV)/.installed: Makefile
	test -x $(LOCK_VENV)/bin/python || $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet $(LOCK_TOOLS)
	touch $@

# test.txt is constrained by app.txt, so the packages both hold are at the same version.
lock: $(LOCK_VENV)/.installed
	$(PIP_COMPILE) $(LOCK_ARGS) --output-file $(LOCK_APP) setup.cfg
	$(PIP_COMPILE) $(LOCK_ARGS) --extra test --constraint $(LOCK_APP) --output-file $(LOCK_TEST) setup.cfg
	$(PYTHON) requirements/lockfile.py stamp

lock-upgrade:
	$(MAKE) lock LOCK_ARGS=--upgrade

# Fails when setup.cfg's requirements changed since `make lock` (no network, standard library).
lock-check:
	$(PYTHON) requirements/lockfile.py check

instance/secret_key: | $(BIN)/python
	mkdir -p instance
	$(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $@

system-packages:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if command -v apt-get >/dev/null; then \
			echo "Installing Debian packages:" $$missing; \
			$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
		else \
			echo "Install these system packages (or their equivalents) for PDFs, backups and the browser tests:" $$missing; \
		fi; \
	fi

install: system-packages $(VENV)/.installed instance/secret_key

demo: install
	$(WITH_KEY) $(BIN)/flask score i18n compile && \
	$(BIN)/flask db upgrade && \
	$(BIN)/flask score demo --keep-existing && \
	exec $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: system-packages $(VENV)/.installed-test instance/secret_key
	$(WITH_KEY) $(BIN)/flask score i18n compile
	@echo "== tests on SQLite =="
	$(BIN)/pytest $(PYTEST_ARGS)
	@if $(BIN)/python -c "import sqlalchemy as sa, sys; sa.create_engine(sys.argv[1], connect_args={'connect_timeout': 3}).connect().close()" "$(PG_TEST_URL)" 2>/dev/null; then \
		echo "== tests on PostgreSQL ($(PG_TEST_URL)) =="; \
		SCORE_TEST_DATABASE_URL="$(PG_TEST_URL)" $(BIN)/pytest $(PYTEST_ARGS); \
	else \
		echo "PostgreSQL is not reachable at $(PG_TEST_URL): the tests ran on SQLite only."; \
		test -z "$$CI" || { echo "CI needs PostgreSQL: failing."; exit 1; }; \
	fi

bench: system-packages $(VENV)/.installed-test
	$(BIN)/python -m bench.attendance
	$(BIN)/python -m bench.documents
	$(BIN)/python -m bench.programme
	$(BIN)/python -m bench.imports
	$(BIN)/python -m bench.charts
	$(BIN)/python -m bench.pages
	$(BIN)/python -m bench.sync
	$(BIN)/python -m bench.offline_bundle

# The site under load: gunicorn on PostgreSQL (LOAD_PG_URL), driven by Debian's wrk for
# LOAD_DURATION seconds over LOAD_CONNECTIONS connections (60 and 32; fewer for a quick try);
# LOAD_BEFORE=<git revision> measures that revision first, for a before/after.
# LOAD_CLUSTER=1 runs the same scenario against one app server, then two app servers and one
# worker (tests/cluster/servers.py, Redis at LOAD_REDIS_URL), LOAD_RUNS times each, alternating,
# and writes bench/results/load-cluster.md with requests/s and p95 side by side.
load: install
	$(MAKE) system-packages DEB_PACKAGES="$(DEB_PACKAGES) wrk"
	$(WITH_KEY) $(BIN)/flask score i18n compile
	$(if $(LOAD_CLUSTER),$(WITH_KEY) $(BIN)/python -m bench.load_cluster,$(BIN)/python -m bench.load)

# Several machines on one: two app servers (gunicorn, CLUSTER_PORTS) and one worker sharing
# PostgreSQL (CLUSTER_DATABASE_URL, created if missing, with the demo when empty) and this
# machine's Redis (CLUSTER_REDIS_URL); photos in the database, counters in Redis, no shared
# disk. Each server's /health says what it sees; Ctrl-C stops them all. docs/deployment.md.
CLUSTER_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/score_cluster
CLUSTER_REDIS_URL ?= redis://127.0.0.1:6379/0
CLUSTER_PORTS ?= 5001 5002
cluster: install
	$(WITH_KEY) $(BIN)/flask score i18n compile
	$(WITH_KEY) $(BIN)/python -m tests.cluster.servers --demo --database-url "$(CLUSTER_DATABASE_URL)" \
		--redis-url "$(CLUSTER_REDIS_URL)" --ports $(CLUSTER_PORTS)

lint: lock-check $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

i18n-update: install
	$(WITH_KEY) $(BIN)/flask score i18n update
