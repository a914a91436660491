# mk/live.mk: `make live`: the three services as real daemons, for a class to watch
# (scripts/live.sh says how).  `make live SPEED=10` runs their clocks 10x (libfaketime).
.PHONY: live
SPEED ?= 1
live: all
	@SPEED=$(SPEED) scripts/live.sh
