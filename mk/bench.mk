# mk/bench.mk: the benchmark suite (bench/, docs/performance.md).
#
#   make bench        builds, then runs bench/run.sh: every figure next to its reference,
#                     measured in the same run; a table on the terminal and
#                     reports/bench.json.  About 3-5 minutes on 2 cores.
#   make bench-tools  only the bench programs (also built by `make unit`, so that a
#                     change in lib/ that breaks them is seen at once)
#
# BENCH_QUICK=1 make bench: tiny sizes, seconds, figures meaningless (tests/system/bench.sh).
BENCH_PROGS := zmq_rtt sqlite_tx live_client scan_bench
BENCH_BINS  := $(patsubst %,$(BUILD)/bench/%,$(BENCH_PROGS))
BENCH_PROBE := $(BUILD)/bench/rss_probe.so

.PHONY: bench bench-tools
bench-tools: $(BENCH_BINS) $(BENCH_PROBE)

bench: all bench-tools $(BUILD)/tools/history-check
	@BUILD=$(BUILD) OUTBOX_BIN=$(BIN) bench/run.sh

unit: bench-tools

# A static pattern: only these targets, so build/bench/x.o is never taken for a program.
$(BENCH_BINS): $(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIB_A)
	$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LDLIBS) -o $@

# Preloaded into outbox-sim by bench/run.sh: position-independent, no library.
$(BENCH_PROBE): bench/rss_probe.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -shared $< -o $@
