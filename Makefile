# The two commands of the README, and their parts. Everything builds with ninja
# (and ccache when present); builds are serialized with flock so two make calls
# never compile at once on a small machine.
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
# The fuzzers live in the ASan+UBSan build: same instrumentation, one compile.
FUZZ_BUILD ?= $(ASAN_BUILD)
# Total fuzzing time, split evenly across the fuzzers (scripts/fuzz).
FUZZ_SECONDS ?= 140
LOCK       := flock /tmp/cadre-build.lock
# ccache keys on paths relative to the checkout (and not on the build
# directory's path), so a fresh clone elsewhere reuses what an earlier build
# of the same sources compiled where the compiler sees the sources themselves
# (the grammars; a unity batch names its sources by absolute path, so those
# hit only in the same checkout).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
# Unity builds: each target's sources compiled a batch at a time, so the heavy
# headers (nlohmann/json, asio, spdlog, Catch) are parsed and their templates
# instantiated once per batch instead of once per file — the three whole-tree
# compiles of the test command take about a third of the time
# (docs/reliability.md). A build directory configured by hand without it
# compiles file by file, the quicker way to rebuild after editing one file.
UNITY      := -DCMAKE_UNITY_BUILD=ON
# Sanitizer builds: clang, -O1 and line tables only (-g1): less compile and
# link time than -O2 -g, and enough for symbolized reports (docs/reliability.md).
SAN_CMAKE  := CC=clang CXX=clang++ cmake -S . -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
              "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1" -DCADRE_BENCH=OFF $(UNITY)
# The suites with threads of their own, run again under ThreadSanitizer: the
# dispatcher and connections, parallel indexing, the router's jobs, the
# agent's tasks, the MCP client's reader threads.
TSAN_TESTS ?= protocol_tests analysis_tests models_tests agent_tests mcp_tests

.PHONY: run test bootstrap build test-asan test-tsan fuzz bench soak clean

# cadre's main job on this repository, with no configuration: index it and
# print the ranked repo map (what the agent reads). `cadre serve` is what
# editors start; see README.
run: build
	./$(BUILD)/cadre index .
	./$(BUILD)/cadre map . --tokens 1024

# The unit and integration suites run once, in the ASan+UBSan build (the
# plain build compiles cadre and the benchmarks only); the threaded suites run
# again under TSan. Any sanitizer report fails the run (scripts/sanitized-ctest).
test: build
	$(MAKE) --no-print-directory test-asan
	$(MAKE) --no-print-directory test-tsan
	$(MAKE) --no-print-directory fuzz
	$(MAKE) --no-print-directory bench BENCH_QUICK=1

bootstrap:
	@scripts/bootstrap

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCADRE_TESTS=OFF $(UNITY)

build: bootstrap $(BUILD)/build.ninja
	$(LOCK) cmake --build $(BUILD)

$(ASAN_BUILD)/build.ninja:
	$(SAN_CMAKE) -B $(ASAN_BUILD) -DCADRE_SANITIZE=address,undefined -DCADRE_FUZZ=ON

$(TSAN_BUILD)/build.ninja:
	$(SAN_CMAKE) -B $(TSAN_BUILD) -DCADRE_SANITIZE=thread

test-asan: bootstrap $(ASAN_BUILD)/build.ninja
	$(LOCK) cmake --build $(ASAN_BUILD)
	scripts/sanitized-ctest $(ASAN_BUILD) -j2

test-tsan: bootstrap $(TSAN_BUILD)/build.ninja
	$(LOCK) cmake --build $(TSAN_BUILD) --target $(TSAN_TESTS)
	scripts/sanitized-ctest $(TSAN_BUILD) -j2 -R '^unit/($(subst $(eval) ,|,$(TSAN_TESTS)))$$'

fuzz: bootstrap $(FUZZ_BUILD)/build.ninja
	$(LOCK) cmake --build $(FUZZ_BUILD) --target cadre_fuzzers
	scripts/fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	BENCH_QUICK=$(BENCH_QUICK) scripts/bench $(BUILD)

# Opt-in soak (docs/reliability.md): mixed traffic on the release build for
# CADRE_SOAK_SECONDS (default 600), failing on RSS or descriptor growth.
soak: build
	CADRE_SOAK=1 python3 tests/integration/soak_test.py --cadre $(BUILD)/cadre

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
