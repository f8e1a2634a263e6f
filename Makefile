# The two commands of the README, and their parts. Everything builds with ninja
# (and ccache when present); builds are serialized with flock so two make calls
# never compile at once on a small machine.
BUILD      ?= build
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 40
LOCK       := flock /tmp/cadre-build.lock

.PHONY: run test bootstrap build test-unit fuzz bench clean

# cadre's main job on this repository, with no configuration: index it and
# print the ranked repo map (what the agent reads). `cadre serve` is what
# editors start; see README.
run: build
	./$(BUILD)/cadre index .
	./$(BUILD)/cadre map . --tokens 1024

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j2
	$(MAKE) --no-print-directory fuzz
	$(MAKE) --no-print-directory bench BENCH_QUICK=1

bootstrap:
	@scripts/bootstrap

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja

build: bootstrap $(BUILD)/build.ninja
	$(LOCK) cmake --build $(BUILD)

$(FUZZ_BUILD)/build.ninja:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCADRE_FUZZ=ON -DCADRE_TESTS=OFF -DCADRE_BENCH=OFF

fuzz: bootstrap $(FUZZ_BUILD)/build.ninja
	$(LOCK) cmake --build $(FUZZ_BUILD) --target cadre_fuzzers
	scripts/fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	BENCH_QUICK=$(BENCH_QUICK) scripts/bench $(BUILD)

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
