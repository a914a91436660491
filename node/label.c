/*
** label.c: how the hosts name a frame in replies and logs: "<FRAME TYPE> <MSG KIND>"
** for PUBLISH and DELIVER ("PUBLISH PAYMENT", "DELIVER CONSUMED"), "DACK" for an ack.
** The simulator matches fault rules against these labels by prefix (sim/scenario/scenario.h).
*/
#include <assert.h>
#include <stdio.h>

#include "node.h"

void node_frame_label(const ox_frame *f, char *out, size_t cap) {
    assert(f != NULL && out != NULL && cap > 0);
    if (f->type == OX_F_DACK) snprintf(out, cap, "DACK");
    else snprintf(out, cap, "%s %s", ox_frame_type_name(f->type), ox_msg_kind_name(f->msg.kind));
}
