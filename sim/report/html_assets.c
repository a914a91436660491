/*
** html_assets.c: share/report/ compiled in (see html_assets.h).
**
** `.incbin` reads the file at assembly time, relative to the directory make runs in
** (the repository's root).  The compiler's dependency files do not see it, so
** mk/report.mk makes this object depend on the files in share/report/.
*/
#include "html_assets.h"

#define ASSET(sym, file)                                                              \
    __asm__(".section .rodata\n"                                                      \
            ".global " #sym "\n.global " #sym "_end\n"                                \
            ".balign 16\n" #sym ":\n"                                                 \
            ".incbin \"" file "\"\n" #sym "_end:\n"                                   \
            ".byte 0\n"                                                               \
            ".previous\n")

ASSET(asset_report_html, "share/report/report.html");
ASSET(asset_report_css, "share/report/report.css");
ASSET(asset_report_js, "share/report/report.js");
ASSET(asset_leases_js, "share/report/leases.js");
ASSET(asset_matrix_html, "share/report/matrix.html");
ASSET(asset_matrix_js, "share/report/matrix.js");
ASSET(asset_uplot_js, "share/report/uPlot.iife.min.js");
ASSET(asset_uplot_css, "share/report/uPlot.min.css");
ASSET(asset_uplot_license, "share/report/uPlot.LICENSE");
