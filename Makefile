# promsls — build, run and test. Quick start: `make run`, `make test`.
SWIFT      ?= swift
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Build-time libraries, the exporter `make run` starts, and the real peers the tests run
# against (Prometheus, Alertmanager for the notifier, dnsmasq for dns_sd, Chromium for the
# status pages, openssl for TLS, nginx and tinyproxy for the HTTP client options).
BUILD_PKGS := pkg-config libsnappy-dev libre2-dev libcrypt-dev
RUN_PKGS   := prometheus-node-exporter
TEST_PKGS  := prometheus prometheus-alertmanager openssl dnsmasq chromium nginx tinyproxy
# `make package` (dpkg-deb, dpkg-shlibdeps, lintian) and `make package-test` (debootstrap).
PKG_PKGS   := dpkg-dev lintian debootstrap
APT_PKGS   := $(BUILD_PKGS) $(RUN_PKGS) $(TEST_PKGS)
# PyPI: Alibaba's own credential client, the tests' cross-check of promsls's credential chain
# against the loopback fakes in Tests/Fakes.
PIP_PKGS   := alibabacloud-credentials==1.0.12 kubernetes==37.0.2
BIN_DEBUG  := .build/debug/promsls
BIN_REL    := .build/release/promsls
TEST_BIN   := .build/debug/promslsPackageTests.xctest
# The release build the package ships (docs/performance.md, "The binary users run"):
# - the Swift runtime linked in, so no toolchain is needed where it runs;
# - every function in a section of its own, laid out by lld in the order of
#   packaging/promsls.order.gz (the functions a profiled agent runs; `make order-file`), so the
#   code an agent runs is a few MiB of pages instead of being spread over 28 MiB of .text;
# - the compiler's private functions (no symbol to order them by: closure-context destroy
#   functions and the like) together in front of .text (packaging/promsls-text.ld);
# - relative relocations packed (RELR, glibc >= 2.36): the PIE's 3 MiB of .rela.dyn is not
#   read at start-up;
# - no dynamic symbol table of our own symbols (the runtime's link file asks to export all).
# Idle peak RSS 35 -> 17 MiB (docs/performance.md, sitting of 2026-12-04 evening). `make bench` builds with the same flags and shares the build.
ORDER      := .build/promsls.order
RELEASE    := -c release --static-swift-stdlib \
              -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections \
              -Xswiftc -use-ld=lld -Xlinker --symbol-ordering-file=$(CURDIR)/$(ORDER) \
              -Xlinker --no-warn-symbol-ordering -Xlinker -z -Xlinker pack-relative-relocs \
              -Xlinker --no-export-dynamic -Xlinker -T -Xlinker $(CURDIR)/packaging/promsls-text.ld
BIN_DIST   := dist/promsls

# The version is written once, in Sources/PromModel/Version.swift. The git revision and the
# build date (the commit's date, or SOURCE_DATE_EPOCH: one commit builds one binary) reach
# the binary through the environment Package.swift reads (CBuildInfo); every build below
# sees the same values, so switching targets changes no compiler flag.
VERSION    := $(shell sed -n 's/^public let promslsVersion = "\(.*\)"$$/\1/p' Sources/PromModel/Version.swift)
REVISION   ?= $(shell r=$$(git rev-parse --short=12 HEAD 2>/dev/null) || r=unknown; \
                [ $$r = unknown ] || git diff --quiet HEAD -- 2>/dev/null || r=$$r-dirty; echo $$r)
BUILD_EPOCH ?= $(shell echo $${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || date +%s)})
BUILD_DATE := $(shell date -u -d @$(BUILD_EPOCH) +%Y%m%d-%H:%M:%S)
export PROMSLS_REVISION   := $(REVISION)
export PROMSLS_BUILD_DATE := $(BUILD_DATE)
DEB        := dist/promsls_$(VERSION)_amd64.deb
# Side-by-side scrape parity with Prometheus 2.42's agent mode (Tests/Parity/README.md, ~35 s).
PARITY     := PROMSLS_BIN=$(CURDIR)/$(BIN_DEBUG) python3 Tests/Parity/run_parity.py

.PHONY: deps run-deps pkg-deps apt-install build release package package-test run test unit-test parity bench lint \
	clean fuzz order-file

# Installs what is missing (apt-get, with sudo when not root). `make deps` installs all;
# `make run` only what it needs (PKGS=...).
deps:
	@$(MAKE) --no-print-directory apt-install PKGS="$(APT_PKGS)"
	@python3 -c 'import alibabacloud_credentials, kubernetes' 2>/dev/null || { echo "installing: $(PIP_PKGS)"; \
	  python3 -m pip install -q $(PIP_PKGS) || python3 -m pip install -q --break-system-packages $(PIP_PKGS); }

run-deps:
	@$(MAKE) --no-print-directory apt-install PKGS="$(BUILD_PKGS) $(RUN_PKGS)"

pkg-deps:
	@$(MAKE) --no-print-directory apt-install PKGS="$(BUILD_PKGS) $(PKG_PKGS)"

apt-install:
	@missing=""; for p in $(PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: run-deps
	$(SWIFT) build --product promsls

# The static, stripped release binary: dist/promsls (the unstripped one stays in .build/release).
release: run-deps $(ORDER)
	$(SWIFT) build $(RELEASE) --product promsls
	@mkdir -p dist
	strip --strip-all -o $(BIN_DIST) $(BIN_REL)
	@$(BIN_DIST) --version | head -1

# dist/promsls_<version>_amd64.deb from the release build, checked with dpkg-deb and lintian.
package: pkg-deps release
	SOURCE_DATE_EPOCH=$(BUILD_EPOCH) ./packaging/build-deb.sh $(BIN_DIST) $(VERSION) $(PROMSLS_REVISION) dist
	./packaging/check-deb.sh $(DEB) $(VERSION)

# The .deb in a fresh Debian 12 (debootstrap, no Swift): install, check config, run the agent
# as the promsls user against node_exporter, then an upgrade that keeps and sends the WAL.
package-test: package
	./packaging/test-chroot.sh $(DEB) $(VERSION)

# Starts node_exporter, the built-in test receiver and promsls on configs/promsls.yml.
run: build
	./scripts/run-local.sh $(BIN_DEBUG)

# Unit tests plus the integration tests against real Prometheus and node_exporter
# (TEST_ARGS="--filter NAME" for some). PROMSLS_FORBID_CLOUD_ENDPOINTS=1: the ECS metadata
# and STS defaults are refused, never contacted (tests point every endpoint at Tests/Fakes). The test binary runs directly: `swift test
# --skip-build` rewrites SwiftPM's build plan, and the next `swift build` (`make run`, the
# next `make test`) then recompiled Hummingbird or ArgumentParser (115-126 files, 25-45 s).
TEST_ARGS  ?=
test: deps
	$(SWIFT) build --build-tests
	PROMSLS_FORBID_CLOUD_ENDPOINTS=1 PROMSLS_BIN=$(CURDIR)/$(BIN_DEBUG) $(TEST_BIN) --testing-library swift-testing $(TEST_ARGS)
	$(PARITY)

parity: deps
	$(SWIFT) build --product promsls
	$(PARITY)

bench: run-deps $(ORDER)
	$(SWIFT) build $(RELEASE) --product promsls-bench
	./.build/release/promsls-bench

# The symbol order lld reads; a new list (or text layout script) relinks the release binary (SwiftPM does not see a
# changed file behind an unchanged flag).
$(ORDER): packaging/promsls.order.gz packaging/promsls-text.ld
	@mkdir -p $(dir $@)
	gzip -dc $< >$@
	rm -f $(BIN_REL)

# Regenerates packaging/promsls.order.gz from a profiled run of the release build (valgrind,
# node_exporter; ~2 min). Run it after changes that add or rename hot code, then `make release`.
order-file: release
	./scripts/order-profile.sh $(BIN_REL) packaging/promsls.order.gz

# libFuzzer + ASan on the text 0.0.4 and OpenMetrics parsers, the WAL (decoder, repair, round
# trip) and the config loader, FUZZ_SECONDS (60) each, built in .build-fuzz; crash inputs are
# saved to the fuzz-regressions folders under Tests/ and replayed by `make test`. CI runs 30 s each.
fuzz:
	SWIFT=$(SWIFT) ./scripts/fuzz.sh

lint:
	$(SWIFT) format lint --recursive --strict Sources Tests Package.swift || \
	  { echo "swift format found issues (run: swift format --in-place --recursive Sources Tests)"; exit 1; }

clean:
	rm -rf .build dist
