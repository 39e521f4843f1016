# Backplan: the two commands of the README are `make demo` and `make test`. Both install the system
# libraries they need when absent (Debian/Ubuntu, apt-get; as root or through sudo) and build what they run.
SWIFT ?= swift
export OPENBLAS_NUM_THREADS ?= 1

SYSTEM_PACKAGES := libopenblas-dev liblapacke-dev libxgboost-dev libsqlite3-dev sqlite3 pkg-config
# restic: the executor's storage engine (its end-to-end tests run it on local repositories).
SYSTEM_PACKAGES += restic
# Only the tests need a browser (the HTML report rendered headless); about 2.5 min to install on a fresh machine.
TEST_PACKAGES := chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
OUT := out
DEMO_STORE := $(OUT)/demo-stats.sqlite
SAMPLE := datasets/sample/chat-sample.sqlite
BIN := .build/debug/backplan
RELEASE_BIN := .build/release/backplan
DEFAULT_MODEL := models/default
MODEL_STORE := $(OUT)/model-stats.sqlite
DEMO_POLICY := datasets/policies/messaging.yaml
DEMO_PRICES := datasets/pricing/aws-s3.yaml

.PHONY: all deps test-deps build release demo test notebooks bench model clean help crash-test

all: build

help:
	@echo "make demo   - build; sample store -> stats -> default model -> plan (out/plan.json), its summary, out/tiers.html"
	@echo "make test   - build and run every test (unit, real-data, end-to-end)"
	@echo "make model  - retrain models/default on the committed sample (byte-for-byte reproducible)"
	@echo "make bench  - release build and benchmarks against their references (sqlite3 shell, …)"
	@echo "make deps   - install missing system packages: $(SYSTEM_PACKAGES)"

# Installs only what is missing, so it is quick when everything is there.
deps:
	@missing=""; \
	for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null \
	    || { echo "error: could not install$$missing; install them and retry" >&2; exit 1; }; \
	fi

# The browser for the HTML report tests; without it those tests are skipped with the reason printed.
test-deps: deps
	@command -v chromium >/dev/null || { echo "installing $(TEST_PACKAGES) for the HTML report tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(TEST_PACKAGES) >/dev/null \
	    || echo "warning: could not install $(TEST_PACKAGES); the browser tests will be skipped" >&2; }

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

demo: build
	@mkdir -p $(OUT)
	@rm -f $(DEMO_STORE)
	$(BIN) ingest $(SAMPLE) --format message-store --db $(DEMO_STORE)
	$(BIN) stats --db $(DEMO_STORE)
	$(BIN) evaluate --db $(DEMO_STORE) --model $(DEFAULT_MODEL)
	$(BIN) plan --db $(DEMO_STORE) --model $(DEFAULT_MODEL) --policy $(DEMO_POLICY) --prices $(DEMO_PRICES) --out $(OUT)/plan.json
	$(BIN) report tiers --plan $(OUT)/plan.json --format html --out $(OUT)/tiers.html
	@echo "Tier cost report: $(abspath $(OUT)/tiers.html)"
	@umask 077 && [ -f $(OUT)/demo-restic.pw ] || head -c 24 /dev/urandom | base64 > $(OUT)/demo-restic.pw
	$(BIN) execute --plan $(OUT)/plan.json --targets datasets/targets/demo.yaml --state $(OUT)/executor-state.sqlite --dry-run | tail -n 5

# The end-to-end tests run the built binary, so build it first; then check the notebooks' stored outputs.
test: test-deps
	$(SWIFT) build
	$(SWIFT) test
	$(MAKE) --no-print-directory notebooks

# Re-run the notebooks that can run here and fail on the first block whose stored output differs.
notebooks:
	$(BIN) notebook run notebooks-md/quick-start.md --check
	$(BIN) notebook run notebooks-md/providers.md notebooks-md/what-if.md notebooks-md/college-msg.md --check

bench: release
	$(SWIFT) build -c release --product backplan-bench
	python3 bench/ingest_bench.py --binary $(RELEASE_BIN)
	python3 bench/glm_bench.py --bench .build/release/backplan-bench
	python3 bench/plan_bench.py --bench .build/release/backplan-bench
	python3 bench/simulate_bench.py --binary $(RELEASE_BIN)
	python3 bench/xgb_bench.py --bench .build/release/backplan-bench
	python3 bench/executor_bench.py --binary $(RELEASE_BIN)

# The executor killed with SIGKILL at random moments in 200 backup rounds, then checked (scripts/executor-crash-test.sh;
# make test runs 8 rounds of it, Tests/BackplanCLITests/CrashTestEndToEndTests.swift).
crash-test: build
	scripts/executor-crash-test.sh 200

# The default model: trained on the committed sample with weekly training cutoffs. Same sample, same bytes.
model: build
	@mkdir -p $(OUT)
	@rm -f $(MODEL_STORE)
	$(BIN) ingest $(SAMPLE) --format message-store --db $(MODEL_STORE)
	$(BIN) train --db $(MODEL_STORE) --split 0.6 --horizon 7d --out $(DEFAULT_MODEL)

clean:
	rm -rf .build $(OUT) bench/out
