#!/usr/bin/env python3
"""scripts/protocol-tables.py: docs/protocol.md's tables, held to the code they restate.

    scripts/protocol-tables.py --check     exit 1, saying what differs, when a table of
                                           docs/protocol.md disagrees with the code
                                           (tests/system/protocoldoc.sh runs this)
    --root DIR                             the repository (default: this script's parent)
    --doc FILE                             another copy of the page (the test proves the
                                           check bites)

Each table follows a marker `<!-- protocol: NAME -->` (an HTML comment, invisible on a
rendered page).  What each is compared with:
  step-kinds, reply-status, effect-types, arm-actions   the enums of proto/step.h
  step-constants     every #define of proto/step.h, and STEP_VERSION of proto/step.c
  exit-codes         proto/exit.h
  wire-constants, frame-types, msg-kinds                lib/wire.h
  frames             ox_wire_frames in lib/wire.c: label, from, to, queue, meaning
  timers, sites      OX_TIMER_* and OX_SITE_* of lib/io.h
  failpoints         FAILPOINTS of lib/service.c, in order
  schema-ids         lib/schema.h
  notes              every note kind lib/ and node/ emit, by which roles; which of them
                     sim/check, sim/report (with sim/util/reached.c) and sim/core compare a
                     kind with; and every sscanf pattern sim/check applies to a detail
  checker-sql, probe-sql   the queries of sim/check/checker.c and sending_rows in
                     sim/core/world.c, verbatim
"""
import argparse
import os
import re
import sys

ROLE_OF = {  # lib/ files: whose notes they emit (the rest are every role's)
    "payment.c": {"payment"}, "scan.c": {"payment"}, "ordered.c": {"payment"},
    "broker.c": {"broker"}, "brokerdb.c": {"broker"}, "queue.c": {"broker"},
    "accounting.c": {"accounting"}, "relay.c": {"relay"},
}
ALL_ROLES = {"payment", "broker", "accounting", "relay"}


def read(root, path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return f.read()


def strip_comments(src):
    return re.sub(r"/\*.*?\*/", "", src, flags=re.S)


def c_int(expr):
    expr = re.sub(r"\b(0x[0-9a-fA-F]+|\d+)(?:[uU]|LL|ULL|L)+\b", r"\1", expr.strip())
    if not re.fullmatch(r"[0-9a-fA-FxX()<>*+ \t-]+", expr):
        return None
    return eval(expr)  # noqa: S307 - digits and operators only, checked above


def defines(root, path, prefix=""):
    """{NAME: value} of the #defines (ints evaluated, strings unquoted), guards left out."""
    out = {}
    src = strip_comments(read(root, path)).replace("\\\n", " ")
    for m in re.finditer(r"^#define\s+(\w+)[ \t]+(.+)$", src, flags=re.M):
        name, val = m.group(1), m.group(2).strip()
        if not name.startswith(prefix):
            continue
        s = re.fullmatch(r'"([^"]*)"', val)
        for known, v in out.items():   # an earlier define named in this one
            if isinstance(v, int):
                val = re.sub(r"\b%s\b" % known, str(v), val)
        out[name] = s.group(1) if s else c_int(val)
    return out


def enum(root, path, prefix):
    """{NAME without prefix: code} of the enum whose members start with prefix."""
    src = strip_comments(read(root, path))
    for body in re.findall(r"enum\s*\{(.*?)\}", src, flags=re.S):
        members = [m.strip() for m in body.split(",") if m.strip()]
        if not members or not members[0].startswith(prefix):
            continue
        out, nxt = {}, 0
        for m in members:
            name, _, val = m.partition("=")
            nxt = c_int(val) if val.strip() else nxt
            out[name.strip()[len(prefix):]] = nxt
            nxt += 1
        return out
    sys.exit("%s: no enum of %s*" % (path, prefix))


def doc_tables(text):
    """{NAME: [row cells]} of the tables after the markers, and {NAME: [lines]} of the
    ```text blocks after them."""
    tables, blocks = {}, {}
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = re.fullmatch(r"<!-- protocol: ([a-z-]+) -->", line.strip())
        if not m:
            continue
        name, j = m.group(1), i + 1
        if lines[j].startswith("```"):
            k = j + 1
            while not lines[k].startswith("```"):
                k += 1
            blocks[name] = lines[j + 1:k]
            continue
        rows = []
        while j < len(lines) and lines[j].startswith("|"):
            cells = [c.strip() for c in lines[j].strip().strip("|").split(" | ")]
            rows.append(cells)
            j += 1
        tables[name] = rows[2:]   # past the header and the |---| line
    return tables, blocks


def bare(cell):
    return cell.strip().strip("`")


class Checker:
    def __init__(self, root, doc):
        self.root = root
        self.tables, self.blocks = doc_tables(doc)
        self.problems = []
        self.seen = set()

    def table(self, name):
        self.seen.add(name)
        if name not in self.tables:
            self.problems.append("no table marked <!-- protocol: %s -->" % name)
            return []
        return self.tables[name]

    def same(self, name, doc_rows, code_rows):
        missing = [r for r in code_rows if r not in doc_rows]
        extra = [r for r in doc_rows if r not in code_rows]
        for r in missing:
            self.problems.append("%s: the code has %s, the page does not" % (name, r))
        for r in extra:
            self.problems.append("%s: the page says %s, the code does not" % (name, r))

    def enum_table(self, name, path, prefix):
        code = enum(self.root, path, prefix)
        rows = [(bare(r[0]), r[1]) for r in self.table(name)]
        self.same(name, rows, [(k, str(v)) for k, v in code.items()])

    def define_table(self, name, code):
        rows = [(bare(r[0]), r[1]) for r in self.table(name)]
        self.same(name, rows, [(k, str(v)) for k, v in code.items()])


def emitted_notes(root):
    """{kind: roles} of every note kind lib/ and node/ emit."""
    out = {}
    for f in sorted(os.listdir(os.path.join(root, "lib"))):
        if not f.endswith(".c"):
            continue
        src = strip_comments(read(root, "lib/" + f))
        for k in re.findall(r'ox_svc_event\(\s*\w+\s*,\s*"(\w+)"', src):
            out.setdefault(k, set()).update(ROLE_OF.get(f, ALL_ROLES))
        for k in re.findall(r'io\.event\(\s*[\w>.-]+\s*,\s*"(\w+)"', src):  # service.c: config
            out.setdefault(k, set()).update(ROLE_OF.get(f, ALL_ROLES))
    src = strip_comments(read(root, "node/simhost.c"))
    kinds = []
    for call in re.findall(r"\bnote\(h,\s*([^;]*?)\);", src, flags=re.S):
        kinds += re.findall(r'"(\w+)"', call.split(",")[0] + "," + call)
    kinds += re.findall(r'e\.label, sizeof e\.label, "(\w+)"', src)
    for k in kinds:
        out.setdefault(k, set()).update(ALL_ROLES)
    return out


KIND_CMP = re.compile(r'\b(?:strcmp|is)\(\s*(?:k|kind|l\.kind|l->kind|e->kind|e->label)\s*,'
                      r'\s*"(\w+)"\s*\)')


def compared_kinds(root, paths):
    found = set()
    for p in paths:
        found.update(KIND_CMP.findall(strip_comments(read(root, p))))
    return found


def c_files(root, folder):
    return [folder + "/" + f for f in sorted(os.listdir(os.path.join(root, folder)))
            if f.endswith(".c")]


def check_notes(c):
    emitted = emitted_notes(c.root)
    readers = {
        "checker": compared_kinds(c.root, c_files(c.root, "sim/check")),
        "report": compared_kinds(c.root, c_files(c.root, "sim/report") +
                                 ["sim/util/reached.c"]),
        "sim": compared_kinds(c.root, c_files(c.root, "sim/core")),
    }
    rows = c.table("notes")
    doc_rows = [(bare(r[0]), ", ".join(sorted(x.strip() for x in r[1].split(","))),
                 r[2], r[3], r[4]) for r in rows if len(r) >= 5]
    code_rows = [(k, ", ".join(sorted(roles)),
                  "yes" if k in readers["checker"] else "no",
                  "yes" if k in readers["report"] else "no",
                  "yes" if k in readers["sim"] else "no")
                 for k, roles in sorted(emitted.items())]
    c.same("notes (kind, node, checker, report, sim)", sorted(doc_rows), code_rows)
    details = " ".join(r[5] for r in rows if len(r) >= 6)
    for f in c_files(c.root, "sim/check"):
        src = strip_comments(read(c.root, f))
        for m in re.finditer(r'sscanf\(\s*(e->detail|d)\s*,((?:\s*"[^"]*")+)', src):
            fmt = "".join(re.findall(r'"([^"]*)"', m.group(2)))
            if "`%s`" % fmt not in details:
                c.problems.append("notes: %s parses a detail as `%s`; the page does not say "
                                  "so" % (f, fmt))


def c_string(src, name):
    m = re.search(r"\b%s\[\]\s*=((?:\s*\"(?:[^\"\\]|\\.)*\")+)\s*;" % name, src)
    if not m:
        sys.exit("no string constant %s" % name)
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))


def check_sql(c):
    src = strip_comments(read(c.root, "sim/check/checker.c"))
    queries = [c_string(src, n) for n in ("PAY_SQL", "OUT_SQL", "VOUCHER_SQL", "ALERTS_SQL")]
    c.seen.add("checker-sql")
    c.same("checker-sql", c.blocks.get("checker-sql", []), queries)
    world = strip_comments(read(c.root, "sim/core/world.c"))
    m = re.search(r"static int64_t sending_rows.*?:\s*\"([^\"]*)\"", world, flags=re.S)
    c.seen.add("probe-sql")
    c.same("probe-sql", c.blocks.get("probe-sql", []), [m.group(1)] if m else [])


def run(root, doc_path):
    with open(doc_path, encoding="utf-8") as f:
        c = Checker(root, f.read())
    for name, prefix in (("step-kinds", "OX_STEP_"), ("reply-status", "OX_REPLY_"),
                         ("effect-types", "OX_FX_"), ("arm-actions", "OX_ARM_")):
        c.enum_table(name, "proto/step.h", prefix)
    consts = {k: v for k, v in defines(root, "proto/step.h").items() if k != "OX_STEP_H"}
    consts["STEP_VERSION"] = defines(root, "proto/step.c")["STEP_VERSION"]
    c.define_table("step-constants", consts)
    code = enum(root, "proto/exit.h", "OX_EXIT_")
    c.same("exit-codes", [(r[0], bare(r[1])) for r in c.table("exit-codes")],
           [(str(v), "OX_EXIT_" + k) for k, v in code.items()])
    c.define_table("wire-constants", {k: v for k, v in defines(root, "lib/wire.h").items()
                                      if k not in ("OX_WIRE_H", "OX_WIRE_NFRAMES")})
    c.enum_table("frame-types", "lib/wire.h", "OX_F_")
    c.enum_table("msg-kinds", "lib/wire.h", "OX_M_")
    queues = defines(root, "lib/wire.h")
    frames = []
    for m in re.finditer(r'\{\s*OX_ROLE_(\w+),\s*OX_ROLE_(\w+),\s*(OX_\w+_QUEUE),\s*OX_F_\w+,'
                         r'\s*\w+,\s*"([^"]+)",\s*"([^"]+)"\s*\}', read(root, "lib/wire.c")):
        frames.append((m.group(4), m.group(1).lower(), m.group(2).lower(),
                       queues[m.group(3)], m.group(5)))
    c.same("frames", [(bare(r[0]), r[1], r[2], bare(r[3]), r[4]) for r in c.table("frames")],
           frames)
    c.define_table("timers", defines(root, "lib/io.h", "OX_TIMER_"))
    sites = [(v,) for v in defines(root, "lib/io.h", "OX_SITE_").values()]
    c.same("sites", [(bare(r[0]),) for r in c.table("sites") if "<" not in r[0]], sites)
    fps = re.search(r"FAILPOINTS\[\]\s*=\s*\{(.*?)\}", read(root, "lib/service.c"), flags=re.S)
    c.same("failpoints", [bare(r[0]) for r in c.table("failpoints")],
           re.findall(r'"([^"]+)"', fps.group(1)))
    got = [bare(r[0]) for r in c.table("failpoints")]
    if got != re.findall(r'"([^"]+)"', fps.group(1)):
        c.problems.append("failpoints: not in lib/service.c's order")
    c.define_table("schema-ids", {k: v for k, v in defines(root, "lib/schema.h").items()
                                  if k != "OX_SCHEMA_H"})
    check_notes(c)
    check_sql(c)
    for name in sorted(set(c.tables) | set(c.blocks)):
        if name not in c.seen:
            c.problems.append("a table marked %s that nothing checks" % name)
    return c.problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", required=True)
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    ap.add_argument("--doc")
    a = ap.parse_args()
    doc = a.doc or os.path.join(a.root, "docs", "protocol.md")
    problems = run(a.root, doc)
    for p in problems:
        print("%s: %s" % (os.path.relpath(doc), p))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
