/*
** label.c: how the hosts name a frame in replies and logs: "<FRAME TYPE> <MSG KIND>"
** for PUBLISH and DELIVER ("PUBLISH PAYMENT", "DELIVER CONSUMED"), "DACK" for an ack.
** The labels are lib's (lib/wire.h, ox_wire_frames), the same table the simulator's
** scenario loader matches fault rules against by prefix (sim/scenario/scenario.h).
*/
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "node.h"

void node_frame_label(const ox_frame *f, char *out, size_t cap) {
    assert(f != NULL);
    assert(out != NULL);
    assert(cap > 0);
    const char *label = ox_wire_label(f);
    assert(strcmp(label, "?") != 0);   /* the library sends only frames of its table */
    snprintf(out, cap, "%s", label);
}
