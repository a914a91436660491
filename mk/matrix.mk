# mk/matrix.mk: the design matrix (outbox-sim matrix, sim/tools/cmd_matrix.c).
#
#   make matrix           every design x every scenario in scenarios/ (seeds 1..2), compared
#                         with the kept table tests/matrix.expected; exit 1 on a difference
#   make matrix-update    the same run, then its table becomes tests/matrix.expected
#                         (review the diff: a weak design that starts passing is a regression),
#                         and the docs' tables generated from it follow (make doc-tables)
# Both also run the power-loss table (scripts/power-matrix.sh: synchronous x journal_mode
# per service under a power cut), checked against, or rewritten into, docs/design.md.
MATRIX_OUT   ?= reports/matrix
MATRIX_SEEDS ?= 1..2

.PHONY: matrix matrix-update
matrix: all
	$(BIN)/outbox-sim matrix --seeds $(MATRIX_SEEDS) --out $(MATRIX_OUT) --expect tests/matrix.expected
	OUTBOX_BIN=$(BIN) scripts/power-matrix.sh --check

matrix-update: all
	$(BIN)/outbox-sim matrix --seeds $(MATRIX_SEEDS) --out $(MATRIX_OUT)
	cp $(MATRIX_OUT)/matrix.expected tests/matrix.expected
	python3 scripts/doc-tables.py
	OUTBOX_BIN=$(BIN) scripts/power-matrix.sh --update
	@git --no-pager diff --stat -- tests/matrix.expected 2>/dev/null || true
