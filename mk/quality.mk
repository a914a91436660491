# mk/quality.mk: the harness checks itself: sanitizers, coverage, fuzzing, test tools
# (every tests/tools/*.c: frame-send, step-drive, disk-crash, history-check).
#
#   make asan-test     everything built with ASan + UBSan into build-asan/, then the whole
#                      tests/run.sh against it; any sanitizer report fails it, even one a
#                      test did not notice (scripts/asan-test.sh)
#   make coverage      a gcov build into build-cov/, the scenario library (every
#                      scenarios/*.lua, COVERAGE_SEEDS seeds) and the unit tests; an HTML
#                      report in reports/coverage/, and a check: lib/ line coverage from
#                      the scenarios >= COVERAGE_MIN, every failpoint crashed at by at
#                      least one scenario (scripts/coverage.sh)
#   make fuzz          each libFuzzer target (fuzz/) for FUZZ_SECONDS; a crash is minimized
#                      into tests/fuzz-regressions/<target>/ and fails the target
#                      (scripts/fuzz.sh).  FUZZ_TARGETS picks targets.
#   make fuzz-seeds    rewrites fuzz/corpus/{wire,step,reply}/ from the current encoders
#
# The tool tests/tools/frame-send (bad frames for a live daemon, tests/system/badinput.sh)
# is built by `make unit`; `make asan` and the coverage build make `unit` in their dirs.
COVERAGE_SEEDS ?= 2
COVERAGE_MIN   ?= 90
FUZZ_SECONDS   ?= 60
FUZZ_TARGETS   ?= wire step reply scenario
FUZZ_JOBS      ?= $(shell nproc 2>/dev/null || echo 1)

# -O0 for exact line counts.  GCC's format-truncation check guesses string lengths
# worse without optimization and warns where the -O2 build does not: a warning there,
# not an error, so the coverage build never fails where `make` passes.
COV_CFLAGS  := -O0 -g --coverage -DOX_COVERAGE -Wno-error=format-truncation
COV_LDFLAGS := --coverage
# Library, node and simulator code is instrumented for libFuzzer's coverage feedback
# but linked without its main(); only the fuzz targets link -fsanitize=fuzzer.
FUZZ_CFLAGS  := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_LDFLAGS := -fsanitize=address,undefined

TOOLS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(wildcard tests/tools/*.c))

.PHONY: asan-test coverage coverage-build fuzz fuzz-build fuzz-seeds tools

# ---- tools and the fuzz oracles' replay ------------------------------------------------
tools: $(TOOLS)
unit: $(TOOLS)

$(BUILD)/tools/%: $(call obj,tests/tools/%.c) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LDLIBS) -o $@

# step-drive speaks the node protocol.
$(BUILD)/tools/step-drive: $(call obj,tests/tools/step-drive.c) $(PROTO_A) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LDLIBS) -o $@

# history-check runs the simulator's history checks alone (tests/system/history.sh).
$(BUILD)/tools/history-check: $(call obj,tests/tools/history-check.c) $(SIM_LIB) $(PROTO_A) \
		$(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LDLIBS) -o $@

# disk-crash runs SQLite through the node's simulated disk (node/vfs.c) and cuts power
# with the protocol's disk_power_cut (proto/disk.h).
$(BUILD)/tools/disk-crash: $(call obj,tests/tools/disk-crash.c node/vfs.c) $(PROTO_A) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LDLIBS) -o $@

# The regression replay runs the fuzz targets' own oracles (its own rule: the objects
# must come before the libraries on the link line).
$(BUILD)/tests/test_fuzz_regressions: \
		$(call obj,tests/unit/sim/test_fuzz_regressions.c fuzz/oracles.c) $(SIM_LIB) $(PROTO_A) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LDLIBS) -lcmocka -o $@

# ---- sanitizers ------------------------------------------------------------------------
asan-test:
	@$(MAKE) --no-print-directory asan
	@scripts/asan-test.sh

# ---- coverage --------------------------------------------------------------------------
coverage-build:
	@CFLAGS="$(COV_CFLAGS)" LDFLAGS="$(COV_LDFLAGS)" \
	  $(MAKE) --no-print-directory BUILD=build-cov BIN=build-cov/bin unit

coverage: coverage-build
	@COVERAGE_SEEDS=$(COVERAGE_SEEDS) COVERAGE_MIN=$(COVERAGE_MIN) scripts/coverage.sh

# ---- fuzzing ---------------------------------------------------------------------------
$(BUILD)/fuzz/fuzz_%: $(call obj,fuzz/fuzz_%.c) $(call obj,fuzz/oracles.c) \
		$(SIM_LIB) $(PROTO_A) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $^ $(LDFLAGS) $(LDLIBS) -o $@

$(BUILD)/fuzz/mkseeds: $(call obj,fuzz/mkseeds.c) $(PROTO_A) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LDLIBS) -o $@

fuzz-build:
	@printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' | \
	  clang -fsanitize=fuzzer -x c - -o /dev/null 2>/dev/null || { echo "make fuzz: clang" \
	  "with libFuzzer is missing; Debian: apt-get install -y clang libclang-rt-14-dev" >&2; exit 1; }
	@CFLAGS="$(FUZZ_CFLAGS)" LDFLAGS="$(FUZZ_LDFLAGS)" \
	  $(MAKE) --no-print-directory CC=clang BUILD=build-fuzz BIN=build-fuzz/bin \
	  $(patsubst %,build-fuzz/fuzz/fuzz_%,$(FUZZ_TARGETS))
	@$(MAKE) --no-print-directory $(BUILD)/fuzz/mkseeds

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) MKSEEDS=$(BUILD)/fuzz/mkseeds \
	  scripts/fuzz.sh $(FUZZ_TARGETS)

fuzz-seeds: $(BUILD)/fuzz/mkseeds
	$(BUILD)/fuzz/mkseeds fuzz/corpus

clean: clean-quality
.PHONY: clean-quality
clean-quality:
	rm -rf build-cov build-fuzz

# ---- the trace lock (tests/system/tracelock.sh) ------------------------------------------
# Rewrites tests/trace-hashes.expected from the current build: only for a change that
# means to change behaviour, and its commit says why.
.PHONY: trace-lock-update tidy
tidy:
	@python3 scripts/tidy.py

trace-lock-update: all
	@scripts/trace-hashes.sh 2 >tests/trace-hashes.expected.new
	@! grep -q ' error ' tests/trace-hashes.expected.new || { rm -f tests/trace-hashes.expected.new; echo "trace-lock-update: a run failed" >&2; exit 1; }
	@mv tests/trace-hashes.expected.new tests/trace-hashes.expected
	@echo "tests/trace-hashes.expected: $$(wc -l <tests/trace-hashes.expected) runs"

# ---- mutation testing (scripts/mutate.py; docs/quality.md, "Mutation testing") ----------
# Not part of `make test`: the whole catalogue takes hours on 2 cores (docs/quality.md).
#   make mutate                            every mutant of lib/, both stages, report in
#                                          mutate/report.md; a rerun judges what changed
#   make mutate MUTATE_SAMPLE=200          an evenly spaced sample of 200 mutants
#   make mutate MUTATE_FILES=lib/retry.c   one file (comma-separated list)
#   MUTATE_JOBS (default 2) mutants at a time; MUTATE_ARGS more flags (--stage scenarios)
MUTATE_JOBS   ?= 2
MUTATE_SAMPLE ?=
MUTATE_FILES  ?=
MUTATE_ARGS   ?=
.PHONY: mutate
mutate: all unit
	@nice scripts/mutate.py -j $(MUTATE_JOBS) $(if $(MUTATE_SAMPLE),--limit $(MUTATE_SAMPLE)) \
	  $(if $(MUTATE_FILES),--files $(MUTATE_FILES)) $(MUTATE_ARGS)
