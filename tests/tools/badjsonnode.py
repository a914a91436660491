#!/usr/bin/env python3
# tests/tools/badjsonnode.py: a node on the text encoding (docs/protocol.md) that answers
# START properly and then breaks the protocol at its next step, the way BAD_NODE (in its
# environment, which the simulator passes on) names; tests/system/jsonnode.sh runs it
# under `--node ROLE=json:tests/tools/badjsonnode.py` and expects one line and exit 3.
#
#   garbage   a line that is not JSON
#   long      a line over the REPLY bound (OX_REPLY_MAX), never ended
#   unknown   a well-formed reply with an unknown status ("DONE")
#   exit      exits mid-step, without answering
#   partial   half a line, then exits 1
#   twice     its reply line twice
#   stray     a line of its own ("debug: ...") and then its reply, in one write
#   silent    answers nothing (the simulator's step timeout, 30 s, ends the run)
#   diskfile  reports a failed disk call on a file that is not one ("@floppy")
# Then it waits to be killed, reading nothing more.
import json
import os
import signal
import sys

mode = os.environ.get("BAD_NODE", "")
out = sys.stdout


def reply(seq, status="OK", effects=()):
    return json.dumps({"v": 3, "sections": [{"seq": seq, "status": status,
                                             "effects": list(effects)}]})


for raw in sys.stdin:
    seq = json.loads(raw)["steps"][0]["seq"]
    if json.loads(raw)["steps"][0]["kind"] == "START":
        out.write(reply(seq) + "\n")
        out.flush()
        continue
    if mode == "garbage":
        out.write("this is not json\n")
    elif mode == "long":
        out.write("{" + " " * (3 << 20))
    elif mode == "unknown":
        out.write(reply(seq, "DONE") + "\n")
    elif mode == "exit":
        sys.exit(0)
    elif mode == "partial":
        out.write('{"v":3,"sec')
        out.flush()
        sys.exit(1)
    elif mode == "twice":
        out.write(reply(seq) + "\n" + reply(seq) + "\n")
    elif mode == "diskfile":
        out.write(reply(seq, "OK", [{"type": "INJECTED", "name": "disk.write.eio@floppy"}]) + "\n")
    elif mode == "stray":
        out.write("debug: step %d\n" % seq + reply(seq) + "\n")
    out.flush()
    while True:
        signal.pause()   # not sleep(): libfaketime's frozen clock makes it fail
