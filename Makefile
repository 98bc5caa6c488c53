# The commands the README and .ci/run use. Everything is set up on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
GRAPHIQL_ASSETS = var/graphiql/.complete

.PHONY: serve test lint typecheck schema install install-runtime lock assets federation-deps graphql-http-deps axe-deps clean territories bench-ingest bench-api bench-compare

BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/bench_ingest
BENCH_API_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/s100
BENCH_API_ARGS ?= --concurrency 1,10 --duration 15s

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Two locks with hashes (`make lock` writes both from pyproject.toml): requirements/runtime.lock,
# what serving needs (the otel extra included: traces are a setting away), and
# requirements/dev.lock, the same pins plus the tests' and linters' tools. Each installs exactly
# its pins (--require-hashes), then the project itself without resolving anything again.
$(VENV)/.runtime: requirements/runtime.lock pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q --require-hashes -r requirements/runtime.lock
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/pip check
	touch $@

$(VENV)/.dev: requirements/dev.lock $(VENV)/.runtime
	$(BIN)/pip install -q --require-hashes -r requirements/dev.lock
	$(BIN)/pip check
	touch $@

install-runtime: $(VENV)/.runtime
install: $(VENV)/.dev

# Regenerate both locks from pyproject.toml with uv (installed by pip into var/lock-tools).
# Pins already in a lock are kept unless pyproject.toml excludes them: `make lock
# LOCK_ARGS=--upgrade` moves everything to the newest allowed, `LOCK_ARGS="-P NAME"` one package.
LOCK_TOOLS = var/lock-tools
UV = $(LOCK_TOOLS)/bin/uv
LOCK_ARGS ?=
$(UV):
	$(PYTHON) -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/pip install -q 'uv>=0.13,<0.14'

lock: $(UV)
	$(UV) pip compile pyproject.toml --extra otel --generate-hashes --python $(PYTHON) \
	  --custom-compile-command 'make lock' -q -o requirements/runtime.lock $(LOCK_ARGS)
	$(UV) pip compile pyproject.toml --extra dev -c requirements/runtime.lock --generate-hashes \
	  --python $(PYTHON) --custom-compile-command 'make lock' -q -o requirements/dev.lock $(LOCK_ARGS)

# GraphiQL, React and ReactDOM from npm (pinned) into an ignored folder, so GraphiQL works
# where no CDN is reachable. A failure here is not fatal: the page then falls back to the CDN.
$(GRAPHIQL_ASSETS): scripts/fetch_graphiql.sh
	sh scripts/fetch_graphiql.sh var/graphiql || echo "warning: GraphiQL assets not fetched; GraphiQL will use the public CDN"

assets: $(GRAPHIQL_ASSETS)

# The federation proof's npm packages (Apollo composition, Apollo Gateway, a partner subgraph),
# pinned by tests/federation/node/package-lock.json, into an ignored folder. Not fatal: without
# them tests/federation is skipped (and fails under TEST_REQUIRE_ALL=1, as in CI).
FEDERATION_DEPS = var/federation/.installed
$(FEDERATION_DEPS): tests/federation/node/package.json tests/federation/node/package-lock.json
	mkdir -p var/federation
	cp tests/federation/node/package.json tests/federation/node/package-lock.json var/federation/
	(cd var/federation && npm ci --no-audit --no-fund --loglevel=error && touch .installed) \
	  || echo "warning: federation npm packages not installed; tests/federation will not run"

federation-deps: $(FEDERATION_DEPS)

# graphql-http's server audits (GraphQL over HTTP conformance), pinned by
# tests/graphql_http/node/package-lock.json, into an ignored folder. Not fatal: without them
# tests/gateway/test_graphql_http_audit.py is skipped (and fails under TEST_REQUIRE_ALL=1).
GRAPHQL_HTTP_DEPS = var/graphql-http/.installed
$(GRAPHQL_HTTP_DEPS): tests/graphql_http/node/package.json tests/graphql_http/node/package-lock.json
	mkdir -p var/graphql-http
	cp tests/graphql_http/node/package.json tests/graphql_http/node/package-lock.json var/graphql-http/
	(cd var/graphql-http && npm ci --no-audit --no-fund --loglevel=error && touch .installed) \
	  || echo "warning: graphql-http not installed; the GraphQL over HTTP audit will not run"

graphql-http-deps: $(GRAPHQL_HTTP_DEPS)

# axe-core, the accessibility engine the pages' browser tests inject into every page, pinned by
# tests/gateway/pages/node/package-lock.json, into an ignored folder. Not fatal: without it the
# browser tests of tests/gateway/pages are skipped (and fail under TEST_REQUIRE_ALL=1).
AXE_DEPS = var/axe/.installed
$(AXE_DEPS): tests/gateway/pages/node/package.json tests/gateway/pages/node/package-lock.json
	mkdir -p var/axe
	cp tests/gateway/pages/node/package.json tests/gateway/pages/node/package-lock.json var/axe/
	(cd var/axe && npm ci --no-audit --no-fund --loglevel=error && touch .installed) \
	  || echo "warning: axe-core not installed; the pages' browser tests will not run"

axe-deps: $(AXE_DEPS)

# Fresh clone -> virtualenv with the runtime dependencies only, migrate, load territories and
# the demo, serve on 127.0.0.1:8000.
serve: install-runtime assets
	$(BIN)/gateway db upgrade
	$(BIN)/gateway demo-load
	$(BIN)/gateway serve --host 127.0.0.1 --port 8000

test: install federation-deps graphql-http-deps axe-deps
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

schema: install-runtime
	$(BIN)/gateway export-schema > schema.graphql

# Rebuild data/territories.json.gz from its npm and PyPI origins (needs npm).
territories: install
	$(BIN)/python scripts/build_territories.py --out data/territories.json.gz

# Ingest benchmark (50 000-row file): full, identical re-ingest, 5 % changed, peak RSS;
# on SQLite, then on PostgreSQL (BENCH_DATABASE_URL); ingest alone, then with link + merge.
bench-ingest: install
	$(BIN)/python scripts/bench_ingest.py --rows 50000 --no-merge \
	  --database-url sqlite:///var/bench-ingest.db --database-url $(BENCH_DATABASE_URL)
	$(BIN)/python scripts/bench_ingest.py --rows 50000 \
	  --database-url sqlite:///var/bench-ingest.db --database-url $(BENCH_DATABASE_URL)

# API benchmark: bench/*.graphql under hey (Debian package `hey`) at concurrency 1 and 10 on the
# scale-100 demo store (bench/README.md says how it is built): p50/p95/p99, rps, SQL per request.
# BENCH_API_ARGS="--only search_page --requests 500" narrows it.
bench-api: install
	$(BIN)/python scripts/bench_api.py --database-url $(BENCH_API_DATABASE_URL) \
	  --out var/bench-api.md $(BENCH_API_ARGS)

# The gateway side by side with PostGraphile v5 over the same tables (bench/README.md):
# PostGraphile and Node 22 from npm (pinned by bench/postgraphile/package-lock.json) into an
# ignored folder, the scale-10 demo store (built when BENCH_COMPARE_DATABASE_URL names no
# database), wrk (Debian package `wrk`).
# Not part of `make test`. BENCH_COMPARE_ARGS="--duration 5 --rounds 1" makes it quick.
BENCH_COMPARE_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/s10
BENCH_COMPARE_ARGS ?= --concurrency 1,10 --duration 10 --rounds 3
BENCH_COMPARE_DEPS = var/bench-compare/.installed
$(BENCH_COMPARE_DEPS): bench/postgraphile/package.json bench/postgraphile/package-lock.json
	mkdir -p var/bench-compare
	cp bench/postgraphile/package.json bench/postgraphile/package-lock.json var/bench-compare/
	cd var/bench-compare && npm ci --no-audit --no-fund --loglevel=error
	touch $@

bench-compare: install $(BENCH_COMPARE_DEPS)
	$(BIN)/python scripts/bench_compare.py --database-url $(BENCH_COMPARE_DATABASE_URL) \
	  --out var/bench-compare.md $(BENCH_COMPARE_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache *.egg-info
