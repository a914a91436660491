/*
** htmljson.h: report.html's data: what htmldata.c gathered, and the run's verdicts,
** written as the one JSON object the page's script reads (window.RUN).
**
** Every string is written safe inside a <script> element: <, > and & are escaped, so
** a trace detail or a scenario's source holding "</script>" cannot end it.  Private
** to sim/report (html.c writes the page around it).
*/
#ifndef SIM_HTMLJSON_H
#define SIM_HTMLJSON_H

#include <stddef.h>
#include <stdio.h>

#include "htmldata.h"

/* Writes r and the run's verdicts as one JSON object. */
void hj_write(FILE *f, const hd_run *r);

/* A quoted JSON string with <, >, & escaped (NULL: ""); hj_strn stops after n bytes. */
void hj_str(FILE *f, const char *s);
void hj_strn(FILE *f, const char *s, size_t n);

#endif
