# make audit — create .venv, install tqa, audit corpora/demo into reports/demo
# make test  — create .venv with the test extras and run the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CORPUS ?= corpora/demo
OUT    ?= reports/demo

.PHONY: audit test venv browser bench clean

$(BIN)/tqa: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/tqa
	$(BIN)/pip install -q -e '.[test]'
	touch $@

venv: $(BIN)/tqa

audit: $(BIN)/tqa
	$(BIN)/tqa audit $(CORPUS) --out $(OUT)

# Headless Chromium for the browser test (Debian's package; playwright drives it, it downloads nothing).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
	  || echo "warning: could not install chromium; the browser test will be skipped"

test: $(VENV)/.test-deps browser
	$(BIN)/python -m pytest -q

bench: $(BIN)/tqa
	$(BIN)/python benchmarks/bench_audit.py

clean:
	rm -rf $(VENV) reports/demo
