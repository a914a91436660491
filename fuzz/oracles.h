/*
** oracles.h: what must hold for any input to the decoders and the scenario loader.
**
** One function per fuzz target.  Each feeds its bytes to the code under test and
** checks the answer; a violated property is reported on stderr and abort()s, which
** libFuzzer (and a unit test) sees as a crash.  The fuzz targets (fuzz/fuzz_*.c) and
** the replay of past crashes (tests/unit/sim/test_fuzz_regressions.c) share them, so an
** input that once failed is checked against exactly the same properties forever.
**
**   wire      ox_wire_decode: an error code from the list, or a frame whose encoding
**             is the input, byte for byte (the format has one spelling per frame).
**   step      ox_steps_decode: -1 with a one-line reason, or a batch that encodes back
**             to the input, byte for byte.
**   reply     ox_reply_open/next_section: -1 with a one-line reason, or a reply whose
**             every section the reply builder re-creates with the same effects.
**   scenario  scenario_load on a file: NULL with one line "PATH..." naming the file,
**             or a scenario whose every callback runs (or fails with such a line).
** All of them, under the sanitizers: no read or write out of bounds, no leak, no
** undefined behaviour.
*/
#ifndef FUZZ_ORACLES_H
#define FUZZ_ORACLES_H

#include <stddef.h>
#include <stdint.h>

void oracle_wire(const uint8_t *buf, size_t len);
void oracle_step(const uint8_t *buf, size_t len);
void oracle_reply(const uint8_t *buf, size_t len);
/* The scenario loader reads files only: the caller puts the bytes at `path`. */
void oracle_scenario_file(const char *path);

/* The targets by name ("wire", "step", "reply", "scenario"): a replay of the bytes of
** one input.  Returns -1 for an unknown name. */
int oracle_run(const char *target, const uint8_t *buf, size_t len);

#endif
