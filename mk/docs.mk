# mk/docs.mk: the docs' generated tables (scripts/doc-tables.py).
#
#   make doc-tables   rewrite the tables of README.md ("Designs") and scenarios/README.md
#                     ("The scenarios here") from tests/matrix.expected; run it after
#                     `make matrix-update` (tests/system/doctables.sh fails until then)
.PHONY: doc-tables
doc-tables:
	python3 scripts/doc-tables.py
