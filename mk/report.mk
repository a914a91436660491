# mk/report.mk: the HTML pages' parts (share/report/) are compiled into outbox-sim by
# `.incbin` (sim/report/html_assets.c), which the compiler's dependency files cannot see.
$(BUILD)/sim/report/html_assets.o: $(wildcard share/report/*)
