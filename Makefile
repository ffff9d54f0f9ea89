# promsls — build, run and test. Quick start: `make run`, `make test`.
SWIFT      ?= swift
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Build-time libraries, the exporter `make run` starts, and the real peers the tests run
# against (Prometheus, dnsmasq for dns_sd, Chromium for the status pages, openssl for TLS,
# nginx and tinyproxy for the HTTP client options).
BUILD_PKGS := pkg-config libsnappy-dev libre2-dev libcrypt-dev
RUN_PKGS   := prometheus-node-exporter
TEST_PKGS  := prometheus openssl dnsmasq chromium nginx tinyproxy
APT_PKGS   := $(BUILD_PKGS) $(RUN_PKGS) $(TEST_PKGS)
BIN_DEBUG  := .build/debug/promsls
BIN_REL    := .build/release/promsls
# Side-by-side scrape parity with Prometheus 2.42's agent mode (Tests/Parity/README.md, ~35 s).
PARITY     := PROMSLS_BIN=$(CURDIR)/$(BIN_DEBUG) python3 Tests/Parity/run_parity.py

.PHONY: deps run-deps apt-install build release run test unit-test parity bench lint clean fuzz

# Installs what is missing (apt-get, with sudo when not root). `make deps` installs all;
# `make run` only what it needs (PKGS=...).
deps:
	@$(MAKE) --no-print-directory apt-install PKGS="$(APT_PKGS)"

run-deps:
	@$(MAKE) --no-print-directory apt-install PKGS="$(BUILD_PKGS) $(RUN_PKGS)"

apt-install:
	@missing=""; for p in $(PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: run-deps
	$(SWIFT) build --product promsls

release: run-deps
	$(SWIFT) build -c release --product promsls

# Starts node_exporter, the built-in test receiver and promsls on configs/promsls.yml.
run: build
	./scripts/run-local.sh $(BIN_DEBUG)

# Unit tests plus the integration tests against real Prometheus and node_exporter.
test: deps
	$(SWIFT) build --product promsls
	$(SWIFT) build --build-tests
	PROMSLS_BIN=$(CURDIR)/$(BIN_DEBUG) $(SWIFT) test --skip-build --disable-xctest
	$(PARITY)

parity: deps
	$(SWIFT) build --product promsls
	$(PARITY)

bench: run-deps
	$(SWIFT) build -c release --product promsls-bench
	./.build/release/promsls-bench

# libFuzzer + ASan on the text 0.0.4 and OpenMetrics parsers, FUZZ_SECONDS (60) each, built in
# .build-fuzz; crash inputs are saved to Tests/ExpositionTests/Fixtures/fuzz-regressions/.
fuzz:
	SWIFT=$(SWIFT) ./scripts/fuzz.sh

lint:
	$(SWIFT) format lint --recursive --strict Sources Tests Package.swift || \
	  { echo "swift format found issues (run: swift format --in-place --recursive Sources Tests)"; exit 1; }

clean:
	rm -rf .build
