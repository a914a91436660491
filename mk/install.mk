# mk/install.mk: `make install` and `make uninstall`, for taking outbox-lab into another
# project's CI (docs/ci.md, "Without this checkout").
#
#   make install [PREFIX=/usr/local] [DESTDIR=]   builds, then installs:
#     PREFIX/bin/outbox-sim, outbox-node, outbox-ctl, and libox-disk.so (the simulated
#                                          disk outbox-sim preloads into --node programs,
#                                          looked for beside outbox-node: proto/diskarm.h)
#     PREFIX/share/outbox-lab/scenarios/   the scenario library and its README
#     PREFIX/share/outbox-lab/report/      the report's parts and uPlot's licence (they are
#                                          compiled into outbox-sim: for reading only)
#     PREFIX/share/outbox-lab/matrix.expected   the kept design matrix, for --expect
#   make uninstall [PREFIX=...] [DESTDIR=]        removes exactly those files again
#
# Nothing at run time looks into the source tree: outbox-sim runs outbox-node from its
# own directory, a scenario's ctl() runs outbox-ctl from beside outbox-node, and `matrix`
# without scenarios takes PREFIX/share/outbox-lab/scenarios (LIBRARY_INSTALLED in
# sim/tools/library.h, the same path relative to PREFIX/bin).  The host (or image)
# needs the run-time libraries and libfaketime: Dockerfile, second stage, lists them.
PREFIX  ?= /usr/local
DESTDIR ?=
INSTALL ?= install
OX_BINS      := outbox-sim outbox-node outbox-ctl $(DISK_SO)
OX_SHARE     := $(PREFIX)/share/outbox-lab
OX_SCENARIOS := $(notdir $(wildcard scenarios/*.lua)) README.md
OX_REPORT    := $(notdir $(wildcard share/report/*))
# `outbox-sim conform`'s own scenarios (sim/tools/conform.h), beside the library's.
OX_CONFORM   := $(notdir $(wildcard scenarios/conform/*.lua))

.PHONY: install uninstall
install: all
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(OX_SHARE)/scenarios $(DESTDIR)$(OX_SHARE)/report
	$(INSTALL) -m 755 $(addprefix $(BIN)/,$(OX_BINS)) $(DESTDIR)$(PREFIX)/bin/
	$(INSTALL) -m 644 $(addprefix scenarios/,$(OX_SCENARIOS)) $(DESTDIR)$(OX_SHARE)/scenarios/
	$(INSTALL) -m 644 $(addprefix share/report/,$(OX_REPORT)) $(DESTDIR)$(OX_SHARE)/report/
	$(INSTALL) -d $(DESTDIR)$(OX_SHARE)/scenarios/conform
	$(INSTALL) -m 644 $(addprefix scenarios/conform/,$(OX_CONFORM)) $(DESTDIR)$(OX_SHARE)/scenarios/conform/
	$(INSTALL) -m 644 tests/matrix.expected $(DESTDIR)$(OX_SHARE)/matrix.expected
	@echo "installed under $(DESTDIR)$(PREFIX): bin/outbox-sim, bin/outbox-node, bin/outbox-ctl, bin/$(DISK_SO), share/outbox-lab/"

# Only what install wrote (a scenario the user added to the library stays, and so does
# its directory).
uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(OX_BINS))
	rm -f $(addprefix $(DESTDIR)$(OX_SHARE)/scenarios/,$(OX_SCENARIOS))
	rm -f $(addprefix $(DESTDIR)$(OX_SHARE)/report/,$(OX_REPORT))
	rm -f $(DESTDIR)$(OX_SHARE)/matrix.expected
	rm -f $(addprefix $(DESTDIR)$(OX_SHARE)/scenarios/conform/,$(OX_CONFORM))
	-rmdir $(DESTDIR)$(OX_SHARE)/scenarios/conform 2>/dev/null
	-rmdir $(DESTDIR)$(OX_SHARE)/scenarios $(DESTDIR)$(OX_SHARE)/report $(DESTDIR)$(OX_SHARE) 2>/dev/null
	@echo "removed outbox-lab from $(DESTDIR)$(PREFIX)"
