# outbox-lab: build, test and demo.  `make demo` and `make test` are all a newcomer needs.
#
#   make            build bin/outbox-sim, bin/outbox-node, bin/outbox-ctl
#   make test       unit tests, then scenario and harness tests; ends with "N passed, N failed"
#   make demo       the showcase scenario, with a human summary
#   make asan       the same build with AddressSanitizer + UBSan, into build-asan/
#   make asan-test  the whole test suite against that build          (mk/quality.mk)
#   make coverage   gcov coverage of the scenario library             (mk/quality.mk)
#   make fuzz       libFuzzer on the decoders and the scenario loader (mk/quality.mk)
#   make matrix     designs x scenarios against tests/matrix.expected (mk/matrix.mk)
#   make bench      the benchmark suite                               (mk/bench.mk)
#   make live       the services as real daemons, for a class         (mk/live.mk)
#   make tidy       the house rules: headers, 100 columns, 70-line functions, layers,
#                   references to files of the repo                  (mk/quality.mk)
#   make doc-tables the docs' tables, generated from tests/matrix.expected (mk/docs.mk)
#   make install    binaries, scenario library, report parts under PREFIX (mk/install.mk)
#   make uninstall  removes them again
#   make clean

CC      ?= cc
BUILD   ?= build
BIN     ?= bin
PKGS    := sqlite3 libzmq lua5.4 jansson
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -MMD -MP
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS  += $(PKG_LIBS) -lm

LIB_SRC   := $(wildcard lib/*.c)
PROTO_SRC := $(wildcard proto/*.c)
NODE_SRC  := $(wildcard node/*.c)
SIM_SRC   := $(wildcard sim/*/*.c)
CTL_SRC   := $(wildcard ctl/*.c)
# bin/libox-disk.so (below): the simulated disk for --node programs of other languages.
DISK_SO     := libox-disk.so
DISK_SO_SRC := node/preload/oxdisk.c node/vfs.c node/memf.c proto/disk.c lib/prng.c lib/codec.c
DISK_SO_CFLAGS := -O2 -g -std=c11 -D_GNU_SOURCE $(WARN) -MMD -MP -fPIC -fvisibility=hidden
TEST_LIB_SRC := $(wildcard tests/unit/lib/test_*.c)
TEST_SIM_SRC := $(wildcard tests/unit/sim/test_*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
# Three archives, each linked after the ones that use it: libsim.a (the simulator but
# main), libproto.a (the node protocol, proto/), liboutbox.a (the library, lib/ alone:
# it knows nothing of the simulator or its protocol).
LIB_A     := $(BUILD)/liboutbox.a
PROTO_A   := $(BUILD)/libproto.a
SIM_LIB   := $(BUILD)/libsim.a
TESTS_LIB := $(patsubst tests/unit/lib/%.c,$(BUILD)/tests/%,$(TEST_LIB_SRC))
TESTS_PROTO := $(filter %/test_proto %/test_disk %/test_stepjson,$(TESTS_LIB))
TESTS_SIM := $(patsubst tests/unit/sim/%.c,$(BUILD)/tests/%,$(TEST_SIM_SRC))
TESTS     := $(TESTS_LIB) $(TESTS_SIM)

.PHONY: all deps test unit demo asan clean
# Objects of the unit tests are kept: they are not throw-away intermediates.
.SECONDARY:
all: deps $(BIN)/outbox-sim $(BIN)/outbox-node $(BIN)/outbox-ctl $(BIN)/$(DISK_SO)

# Installs missing Debian packages as root; otherwise prints the command and fails.  Every
# object waits for it (order-only), so that `make -j` on a fresh machine does not compile
# before the headers are there.
deps:
	@scripts/deps.sh build

$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(LIB_A): $(call obj,$(LIB_SRC))
	@rm -f $@
	ar rcs $@ $^

$(PROTO_A): $(call obj,$(PROTO_SRC))
	@rm -f $@
	ar rcs $@ $^

# Everything of the simulator but main(), so unit tests can link it.
$(SIM_LIB): $(call obj,$(filter-out sim/tools/main.c,$(SIM_SRC)))
	@rm -f $@
	ar rcs $@ $^

# The node exports one symbol, so that the simulated disk preloaded into nodes of other
# languages (proto/diskarm.h) stands aside in it: it installs its own.
$(BIN)/outbox-node: $(call obj,$(NODE_SRC)) $(PROTO_A) $(LIB_A)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $^ $(LDFLAGS) -Wl,--export-dynamic-symbol=ox_node_brings_disk $(LDLIBS) -o $@

# bin/libox-disk.so: the simulated disk for nodes this project did not build
# (proto/diskarm.h).  Its own flags, not CFLAGS: it is loaded into programs that carry no
# sanitizer or coverage runtime (a Python interpreter), so it must need none.
$(BUILD)/pic/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(DISK_SO_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BIN)/$(DISK_SO): $(patsubst %.c,$(BUILD)/pic/%.o,$(DISK_SO_SRC))
	@mkdir -p $(BIN)
	$(CC) -shared -Wl,--no-undefined $^ -lsqlite3 -ldl -o $@

$(BIN)/outbox-sim: $(call obj,sim/tools/main.c) $(SIM_LIB) $(PROTO_A) $(LIB_A)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LDLIBS) -o $@

$(BIN)/outbox-ctl: $(call obj,$(CTL_SRC)) $(LIB_A)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LDLIBS) -o $@

# Unit tests of lib/ link the library alone (test_proto, test_disk the protocol too), never the
# simulator; those of sim/ the simulator's layers too.
$(filter-out $(TESTS_PROTO),$(TESTS_LIB)): $(BUILD)/tests/%: $(BUILD)/tests/unit/lib/%.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LDLIBS) -lcmocka -o $@

$(TESTS_PROTO): $(BUILD)/tests/%: $(BUILD)/tests/unit/lib/%.o $(PROTO_A) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LDLIBS) -lcmocka -o $@

$(filter-out %/test_fuzz_regressions,$(TESTS_SIM)): $(BUILD)/tests/%: $(BUILD)/tests/unit/sim/%.o \
		$(SIM_LIB) $(PROTO_A) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LDLIBS) -lcmocka -o $@

unit: all $(TESTS)

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory unit
	@tests/run.sh

demo: all
	@scripts/demo.sh

# `unit` there: the binaries, the unit tests and every tool the tests use.  The flags go
# in through the environment: a command-line CFLAGS would replace the `CFLAGS +=` line
# above (-std=c11 -D_GNU_SOURCE and the warnings) instead of adding to it.
ASAN_CFLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_LDFLAGS := -fsanitize=address,undefined
asan:
	@CFLAGS="$(ASAN_CFLAGS)" LDFLAGS="$(ASAN_LDFLAGS)" \
	  $(MAKE) --no-print-directory BUILD=build-asan BIN=build-asan/bin unit

clean:
	rm -rf $(BUILD) build-asan $(BIN)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
# Further targets (quality, bench, live, matrix) live in their own fragments.
-include $(wildcard mk/*.mk)
