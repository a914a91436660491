/*
** html_assets.h: the files of share/report/, compiled into the binary (html_assets.c)
** so that writing a page needs nothing on disk.  Each is NUL-terminated; its length
** is end - start.
*/
#ifndef SIM_HTML_ASSETS_H
#define SIM_HTML_ASSETS_H

extern const char asset_report_html[], asset_report_html_end[];
extern const char asset_report_css[], asset_report_css_end[];
extern const char asset_report_js[], asset_report_js_end[];
extern const char asset_leases_js[], asset_leases_js_end[];
extern const char asset_matrix_html[], asset_matrix_html_end[];
extern const char asset_matrix_js[], asset_matrix_js_end[];
extern const char asset_uplot_js[], asset_uplot_js_end[];
extern const char asset_uplot_css[], asset_uplot_css_end[];
extern const char asset_uplot_license[], asset_uplot_license_end[];

#endif
