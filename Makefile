# Two commands matter: `make demo` and `make test`. Both create .venv on first use.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SHARED_CORPUS := $(wildcard ../shared/corpus)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: install demo serve ingest test test-fast chromium espeak screenshot lock bench eval clean

# torch first, from the CPU wheel on this machine's disk: letting the resolver pick torch pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check torch==2.13.0 uv==0.13.9
	@# uv installs the same pinned versions as pip in ~25 s instead of ~4.5 min; pip is the fallback. Copies, not
	@# hard links into uv's cache: NLTK (under llama-index's sentence splitter) refuses to open a hard-linked file.
	UV_LINK_MODE=copy $(BIN)/uv pip install -q --python $(BIN)/python -c constraints.txt -e '.[dev]' \
		|| $(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@# The bundled model's ONNX export (~30 s, once per cache): without it the first command would make it.
	$(BIN)/python -m rag.onnx_export || echo "note: no ONNX model; embeddings will use sentence-transformers"
	touch $(STAMP)

install: $(STAMP)

# Without ../shared/corpus the demo episodes are fetched from their public pages (data/demo-episodes.txt) into
# data/fetched; offline, `add` says in one line how to add episodes and the demo starts with what it has.
ingest: install
	$(BIN)/podcast-rag ingest data/episodes $(SHARED_CORPUS) $(wildcard data/fetched)
ifeq ($(SHARED_CORPUS),)
	$(BIN)/podcast-rag add --quiet --from data/demo-episodes.txt || true
endif

demo: ingest
	$(BIN)/podcast-rag serve

serve: install
	$(BIN)/podcast-rag serve

# Browser tests drive Debian's Chromium; nothing downloads a browser.
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# The audio tests transcribe speech that Debian's espeak-ng says (the Whisper model comes from the dev extra).
espeak:
	@test -x /usr/bin/espeak-ng || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null)

# The README's picture of the chat tab, over the index `make ingest` builds.
screenshot: ingest chromium
	PYTHONPATH=. $(BIN)/python docs/screenshot.py docs/screenshot-chat.png

test: install chromium espeak
	$(BIN)/python -m pytest --durations=25  # the slowest tests, to keep the suite near ~20 minutes

test-fast: install
	$(BIN)/python -m pytest -m "not slow and not browser and not server"

# Every golden set through every configuration; report in eval/reports/ (the README's table).
eval: install
	$(BIN)/podcast-rag eval --claims --corpus data/episodes $(addprefix --corpus ,$(SHARED_CORPUS))

# Scale benchmark (~40 min on 2 cores; run it on a quiet machine): rewrites the results in BENCHMARKS.md.
bench: install
	$(BIN)/python eval/bench.py --episodes 3,100,1000 --store embedded,server --cold 3,30 --write BENCHMARKS.md

# Re-pin what the tests run against after changing dependencies.
lock:
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean:
	rm -rf $(VENV) data/index .pytest_cache test-artifacts
