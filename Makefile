# gcfuzz: the two commands. `make test` runs every test; `make fuzz` runs the main job.
# `make check` is the fast tier of `make test` (docs/testing.md).
# Each installs the Debian packages it needs first (only the missing ones), then
# configures, builds and runs. `make build` leaves the CLI at build/gcfuzz.

SHELL := /bin/bash
JOBS ?= $(shell nproc)
FUZZ_TIME ?= 60
FUZZ_SEED ?= $(shell date +%s)
FUZZ_OUT ?= build/fuzz-failures
FUZZ_JOBS ?= $(JOBS)
# Collectors to fuzz (names or globs, comma-separated; mutants may be named).
COLLECTORS ?= $(GCFUZZ_COLLECTORS)

.PHONY: all deps configure build test check fuzz bench install deb clean

all: build

deps:
	@bash scripts/install-deps.sh

# Configure output goes to a log; it is shown only when configuring fails.
configure: deps
	@mkdir -p build
	@cmake --preset dev > build/configure.log 2>&1 || { cat build/configure.log; exit 1; }

build: configure
	@set -o pipefail; cmake --build --preset dev -j $(JOBS) 2>&1 \
	  | { grep -v -E '^(\[ *[0-9]+%\]|g?make\[[0-9]+\]|Consolidate compiler)' || true; }

# The last line is ctest's summary.
test: build
	@ctest --preset dev -j $(JOBS)

# The fast tier, for the edit-test loop: the tests labelled `check` (unit tests, SPEC rule
# tests, corpus replay, links, layering), the random properties at a tenth of their counts.
check: build
	@GCFUZZ_QUICK=1 ctest --preset dev -j $(JOBS) -L check

# The command, the plugin headers (include/gcfuzz/), the corpus, the CMake package and the
# pkg-config file, into PREFIX (docs/plugins.md). It is the dev build (ASan + UBSan), so
# plugins built against it trap on a stale pointer. With clang-14, also the libFuzzer driver
# that gcfuzz_add_fuzz_target() links a plugin into (the fuzz-driver preset).
PREFIX ?= /usr/local
install: build
	@cmake --install build --prefix $(PREFIX)
	@if command -v clang++-14 > /dev/null; then \
	  cmake --preset fuzz-driver > build/configure-fuzz-driver.log 2>&1 \
	    || { cat build/configure-fuzz-driver.log; exit 1; }; \
	  cmake --build --preset fuzz-driver -j $(JOBS) > build/fuzz-driver.log 2>&1 \
	    || { tail -n 40 build/fuzz-driver.log; exit 1; }; \
	  cmake --install build/fuzz-driver --component fuzz --prefix $(PREFIX); \
	else echo "gcfuzz: no clang++-14: installed without the libFuzzer driver"; fi

# The same as a Debian package, build/packages/gcfuzz_<version>_<arch>.deb (cpack).
deb: build
	@cd build && cpack -G DEB > packages.log 2>&1 || { cat packages.log; exit 1; }
	@ls build/packages/*.deb

# Coverage-guided differential fuzzing (libFuzzer) of every collector, FUZZ_TIME seconds;
# crashes are minimized and printed with their replay command (scripts/fuzz.sh). Without
# clang, the RapidCheck campaign of `gcfuzz run`.
fuzz: deps
	@FUZZ_TIME='$(FUZZ_TIME)' FUZZ_SEED='$(FUZZ_SEED)' FUZZ_OUT='$(FUZZ_OUT)' \
	  FUZZ_JOBS='$(FUZZ_JOBS)' JOBS='$(JOBS)' GCFUZZ_COLLECTORS='$(COLLECTORS)' \
	  bash scripts/fuzz.sh

# Google Benchmark programs, in the release preset (no sanitizers).
bench: deps
	@cmake --preset release > build/configure-release.log 2>&1 || { cat build/configure-release.log; exit 1; }
	@cmake --build --preset release -j $(JOBS) > /dev/null
	@build/release/bench/gcfuzz_bench

clean:
	rm -rf build
