# Aidbridge — the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: demo test test-fast serve bench lint install install-test install-bench clean lock messages

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): $(PY) requirements/lock.txt pyproject.toml
	$(PIP) install --quiet -r requirements/lock.txt
	$(PIP) install --quiet --no-deps -e .
	touch $@

$(TEST_STAMP): $(STAMP) requirements/lock-test.txt
	$(PIP) install --quiet -r requirements/lock-test.txt
	touch $@

$(BENCH_STAMP): $(TEST_STAMP) requirements/lock-bench.txt
	$(PIP) install --quiet -r requirements/lock-bench.txt
	touch $@

install: $(STAMP)
install-test: $(TEST_STAMP)
install-bench: $(BENCH_STAMP)

## demo: create .venv, install, migrate SQLite, load the seed scenario, print the logins, serve :8000
demo: $(STAMP)
	$(VENV)/bin/aidbridge demo

## test: install the test dependencies and run the whole suite (plus lint and type checks)
test: $(TEST_STAMP)
	AIDBRIDGE_TESTING=1 AIDBRIDGE_VAR_DIR=$(CURDIR)/var/test $(PY) -m pytest aidbridge

## test-fast: the suite without the tests marked slow (seed scenario, demo command, API fuzzing), on two processes
# The fuzzing module is all slow and builds its schema on import (~10 s a process), so it is not even collected.
test-fast: $(TEST_STAMP)
	AIDBRIDGE_TESTING=1 AIDBRIDGE_VAR_DIR=$(CURDIR)/var/test $(PY) -m pytest aidbridge -m "not slow" -n 2 \
		--ignore=aidbridge/core/tests/test_fuzz_api.py

## messages: refresh the Ukrainian and Indonesian catalogues from the code, then compile them (docs/translation.md)
# Needs GNU gettext (xgettext, msgmerge, msgfmt): `apt-get install gettext` on Debian or Ubuntu.
MESSAGE_LANGUAGES := uk id
messages: $(STAMP)
	AIDBRIDGE_VAR_DIR=$(CURDIR)/var/messages $(PY) -m django makemessages $(MESSAGE_LANGUAGES:%=-l %) --no-obsolete \
		--ignore=.venv --ignore=var --ignore=bench --settings=aidbridge.settings
	AIDBRIDGE_VAR_DIR=$(CURDIR)/var/messages $(PY) -m django compilemessages $(MESSAGE_LANGUAGES:%=-l %) \
		--ignore=.venv --settings=aidbridge.settings

## lint: ruff, mypy, and the layer contracts of docs/architecture.md (import-linter, .importlinter)
lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check aidbridge bench
	$(VENV)/bin/mypy aidbridge
	$(VENV)/bin/lint-imports

## bench: run the benchmarks and rewrite docs/benchmarks.md
bench: $(BENCH_STAMP)
	$(PY) bench/bench_allocation.py
	$(PY) bench/bench_whatif.py
	$(PY) bench/bench_training.py
	$(PY) bench/bench_import.py
	$(PY) bench/bench_verify.py
	@$(PY) bench/bench_allocation_scale.py > /dev/null; [ $$? -ne 1 ] || exit 1  # status 2: no scale database, skipped
	@$(PY) bench/bench_kiel.py > /dev/null; status=$$?; \
	  if [ $$status -eq 2 ]; then echo "bench_kiel: the Kiel data (../shared) are absent; section skipped"; \
	  elif [ $$status -ne 0 ]; then exit $$status; fi
	@$(PY) bench/bench_load.py; status=$$?; \
	  if [ $$status -eq 2 ]; then echo "bench_load: AIDBRIDGE_DATABASE_URL is not a PostgreSQL database filled by bench/scale_data.py; section skipped"; \
	  elif [ $$status -ne 0 ]; then exit $$status; fi

## lock: re-pin every dependency (needs the registry)
lock: $(PY)
	$(PIP) install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --output-file requirements/lock.txt pyproject.toml
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --extra test --output-file requirements/lock-test.txt pyproject.toml
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --extra test --extra bench --output-file requirements/lock-bench.txt pyproject.toml

clean:
	rm -rf $(VENV) var build *.egg-info
