/*
** fuzz_wire.c: libFuzzer target for the wire oracle (fuzz/oracles.h).  make fuzz runs it.
*/
#include <stddef.h>
#include <stdint.h>

#include "oracles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    oracle_run("wire", data, size);
    return 0;
}
