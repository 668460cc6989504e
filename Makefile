# make audit  — create .venv, install tqa, audit corpora/demo into reports/demo
# make test   — create .venv with the test and model extras and run the tests
# make models — install the model libraries and download the models (needs a network; offline:
#               tqa models install --from FILE_OR_FOLDER)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CORPUS ?= corpora/demo
OUT    ?= reports/demo
TORCH  ?= torch==2.13.0

.PHONY: audit test models resources browser bench clean

$(BIN)/tqa: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

# torch first: the pinned CPU build; left to resolve itself, pip takes a multi-GB CUDA build.
$(VENV)/.model-deps: $(BIN)/tqa
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e '.[models]'
	touch $@

$(VENV)/.test-deps: $(VENV)/.model-deps
	$(BIN)/pip install -q -e '.[test,models]'
	touch $@

# Dictionaries and WordNet for the model-free cross-language and spin checks (Debian packages, fetched
# with apt-get download into ~/.cache/tqa/resources; where that fails the checks say they were skipped).
resources: $(BIN)/tqa
	-$(BIN)/tqa resources fetch --corpus $(CORPUS)

audit: $(BIN)/tqa resources
	$(BIN)/tqa audit $(CORPUS) --out $(OUT)

models: $(VENV)/.model-deps
	$(BIN)/tqa models install --corpus $(CORPUS)

# Headless Chromium for the browser tests (Debian's package; playwright drives it, it downloads nothing),
# and npm, with which the accessibility test installs axe-core into ~/.cache/tqa/npm.
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
	  || echo "warning: could not install chromium; the browser test will be skipped"
	@command -v npm >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq npm >/dev/null; } \
	  || echo "warning: could not install npm; the accessibility test will be skipped"

test: $(VENV)/.test-deps browser
	$(BIN)/python -m tests.fixtures.resources
	$(BIN)/python -m pytest -q

bench: $(BIN)/tqa
	$(BIN)/python benchmarks/bench_audit.py

clean:
	rm -rf $(VENV) reports/demo
