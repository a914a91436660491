#!/usr/bin/env python3
"""coverage_summary.py OUT MIN: the summary and the check of `make coverage`.

Reads what scripts/coverage.sh left in OUT: gcovr's JSON summaries (lib-scenarios.json:
lib/ from the scenario library alone; lib-all.json: with the unit tests; all.json: all
code), the runs' summary.json files under OUT/runs/, runs.txt (scenario seed exit), and
failpoints.list (`outbox-sim failpoints`), lib-scenarios-lines.json (gcovr's per-line
JSON of lib/ from the scenarios).  Writes OUT/summary.txt and OUT/summary.json and prints
the text.  Exit 0 if lib/ line coverage from the scenarios is >= MIN percent, every
listed failpoint was crashed at by at least one run, and every OX_ERR_DB path of lib/
was reached by a scenario or is argued unreachable in ERRDB_UNREACHABLE (and not
reached after all); else 1, after printing what is missing (the least covered lib/
files with their uncovered lines; the failpoints never crashed at, and never reached;
the OX_ERR_DB paths not reached).

    coverage_summary.py --errdb LINES_JSON   the OX_ERR_DB list alone (exit 0 / 1)
"""
import glob
import json
import os
import re
import sys

# The library's OX_ERR_DB paths: every line of lib/*.c whose code names OX_ERR_DB.  A
# line "if (...) return OX_ERR_DB;" is reached when every branch of it was taken (the
# condition held at least once); any other line when it ran.  So that the count means
# the path, lib/store.c, lib/scan.c and lib/brokerdb.c keep each on a line of its own.
# The paths no fault of the simulator can reach, each with why (file, function, a piece
# of the line or of the two before it): listed, not counted missing; one that is reached after all fails the
# check, so the argument is dropped.
ERRDB_UNREACHABLE = {
    ("lib/store.c", "group_lost", "return OX_ERR_DB;"):
        "by construction: a group commit is formed only over a batch with nothing armed "
        "(group_batch in node/simhost.c), so no disk, memory or rollback fault can act "
        "inside one, and a node under a disk fault is never batched at all; a failed group "
        "would be a FATAL reply, since the steps' effects already claim their commits",
}

FUNC_RE = re.compile(r"^[A-Za-z_][\w \*]*?\b(\w+)\([^;]*$")


def errdb_sites(root="."):
    """Every OX_ERR_DB path of lib/*.c: (file, line, function, text, the text with the two
    lines before it: what ERRDB_UNREACHABLE's pieces are looked for in)."""
    sites = []
    for path in sorted(glob.glob(os.path.join(root, "lib", "*.c"))):
        rel = os.path.relpath(path, root)
        fn = "?"
        with open(path) as f:
            src = f.read().split("\n")
        for i, line in enumerate(src, 1):
            m = FUNC_RE.match(line)
            if m and not line.startswith(("typedef", "struct", "static const")):
                fn = m.group(1)
            code = line.split("/*")[0].split("//")[0]
            if "OX_ERR_DB" in code:
                sites.append((rel, i, fn, line.strip(), " ".join(src[max(0, i - 3):i])))
    return sites


def errdb_reached(lines, rel, n, text):
    """Whether the path at rel:n ran, from gcovr's per-line records {file: {line: rec}}."""
    recs = lines.get(rel, {})
    j = n
    while j > 1 and (j not in recs or recs[j].get("gcovr/noncode")):   # a continuation line
        j -= 1
    rec = recs.get(j)
    if rec is None or rec.get("count", 0) == 0:
        return False
    if text.startswith("if (") and "return" in text:
        return all(b.get("count", 0) > 0 for b in rec.get("branches", []))
    return True


def errdb_table(lines_json, root="."):
    with open(lines_json) as f:
        data = json.load(f)
    lines = {f["file"]: {l["line_number"]: l for l in f["lines"]} for f in data["files"]}
    rows = []
    for rel, n, fn, text, context in errdb_sites(root):
        why = next((w for (f, g, piece), w in ERRDB_UNREACHABLE.items()
                    if f == rel and g == fn and piece in context), None)
        rows.append({"file": rel, "line": n, "function": fn, "text": text,
                     "reached": errdb_reached(lines, rel, n, text), "unreachable": why})
    return rows


def errdb_lines(rows):
    """The list's text and the paths that fail the check."""
    bad = [r for r in rows if r["reached"] == bool(r["unreachable"])]
    out = ["OX_ERR_DB paths of lib/ (%d): %d reached by the scenarios, %d argued unreachable"
           % (len(rows), sum(r["reached"] for r in rows),
              sum(bool(r["unreachable"]) and not r["reached"] for r in rows))]
    for r in rows:
        state = "reached" if r["reached"] else "unreachable" if r["unreachable"] else "NOT REACHED"
        out.append("  %-30s %-24s %-12s %s" % ("%s:%d" % (r["file"], r["line"]), r["function"],
                                               state, r["text"][:60]))
        if r["unreachable"]:
            out.append("      " + ("why: " if not r["reached"] else
                                   "REACHED after all: drop its ERRDB_UNREACHABLE entry; it said: ")
                       + r["unreachable"])
    out.append("check: every OX_ERR_DB path of lib/ reached by a scenario (or argued "
               "unreachable): %s" % ("ok" if not bad else "NOT HELD"))
    return out, bad


def pct(covered, total):
    return 100.0 * covered / total if total else 100.0


def totals(path):
    with open(path) as f:
        s = json.load(f)
    return {
        "lines": [s["line_covered"], s["line_total"], pct(s["line_covered"], s["line_total"])],
        "branches": [s["branch_covered"], s["branch_total"], pct(s["branch_covered"], s["branch_total"])],
        "files": s.get("files", []),
    }


def runs_table(out):
    runs = []
    with open(os.path.join(out, "runs.txt")) as f:
        for line in f:
            path, seed, rc = line.split()
            runs.append({"scenario": path, "seed": int(seed), "exit": int(rc)})
    return runs


def failpoint_table(out, names):
    """name -> reached runs, hits, crash runs, crashes, converged crash runs, who."""
    fp = {n: {"reached_runs": 0, "hits": 0, "crash_runs": 0, "crashes": 0,
              "converged_crash_runs": 0, "crashed_by": []} for n in names}
    # runs/ (each scenario's own design) and runs-<design>/ (the library under the others)
    summaries = sorted(glob.glob(os.path.join(out, "runs", "*", "*", "summary.json")) +
                       glob.glob(os.path.join(out, "runs-*", "*", "*", "summary.json")))
    for path in summaries:
        with open(path) as f:
            s = json.load(f)
        conv = s.get("invariants", {}).get("convergence", {})
        converged = bool(conv.get("ok")) and not conv.get("skipped", False)
        slug = os.path.basename(os.path.dirname(os.path.dirname(path)))
        for name, c in (s.get("failpoints") or {}).items():
            e = fp.setdefault(name, {"reached_runs": 0, "hits": 0, "crash_runs": 0, "crashes": 0,
                                     "converged_crash_runs": 0, "crashed_by": []})
            hits, crashes = int(c.get("hits", 0)), int(c.get("crashes", 0))
            e["hits"] += hits
            e["reached_runs"] += hits > 0
            e["crashes"] += crashes
            if crashes > 0:
                e["crash_runs"] += 1
                e["converged_crash_runs"] += converged
                who = "%s/%s" % (slug, s.get("seed"))
                if s.get("design") and "runs-" in path:
                    who += " (%s)" % s.get("design")
                e["crashed_by"].append(who)
    return fp, len(summaries)


def fmt_cov(c):
    return "lines %5.1f%% (%d/%d)  branches %5.1f%% (%d/%d)" % (
        c["lines"][2], c["lines"][0], c["lines"][1], c["branches"][2], c["branches"][0], c["branches"][1])


def least_covered(files, limit=8):
    rows = []
    for f in files:
        missing = f["line_total"] - f["line_covered"]
        if missing > 0:
            rows.append((missing, f["filename"], pct(f["line_covered"], f["line_total"])))
    rows.sort(key=lambda r: (-r[0], r[1]))
    return rows[:limit]


def main():
    out, minimum = sys.argv[1], float(sys.argv[2])
    with open(os.path.join(out, "failpoints.list")) as f:
        names = [l.strip() for l in f if l.strip()]
    lib_sc = totals(os.path.join(out, "lib-scenarios.json"))
    lib_all = totals(os.path.join(out, "lib-all.json"))
    every = totals(os.path.join(out, "all.json"))
    runs = runs_table(out)
    fp, nsum = failpoint_table(out, names)

    bad_runs = [r for r in runs if r["exit"] != 0]
    lines = []
    lines.append("coverage of the scenario library: %d runs (%d scenarios), %d met their expectations"
                 % (len(runs), len({r["scenario"] for r in runs}), len(runs) - len(bad_runs)))
    for r in bad_runs:
        lines.append("  run exited %d: %s --seed %d" % (r["exit"], r["scenario"], r["seed"]))
    lines.append("  lib/ from the scenarios:        " + fmt_cov(lib_sc))
    lines.append("  lib/ with the unit tests too:   " + fmt_cov(lib_all))
    lines.append("  all code (lib node proto sim ctl): " + fmt_cov(every))
    lines.append("")
    lines.append("failpoints (from %d run summaries)" % nsum)
    lines.append("  %-30s %-22s %-16s %s" % ("failpoint", "reached", "crashed at", "converged after the crash"))
    for name in sorted(fp, key=lambda n: (n not in names, names.index(n) if n in names else 0, n)):
        e = fp[name]
        reached = "%d runs, %d hits" % (e["reached_runs"], e["hits"]) if e["hits"] else "never"
        crashed = "%d runs" % e["crash_runs"] if e["crash_runs"] else "never"
        conv = ("%d of %d runs" % (e["converged_crash_runs"], e["crash_runs"])) if e["crash_runs"] else "-"
        lines.append("  %-30s %-22s %-16s %s" % (name, reached, crashed, conv))

    failed = []
    lib_ok = lib_sc["lines"][2] >= minimum
    lines.append("")
    lines.append("check: lib/ line coverage from the scenarios %.1f%% >= %g%%: %s"
                 % (lib_sc["lines"][2], minimum, "ok" if lib_ok else "NOT HELD"))
    if not lib_ok:
        failed.append("lib/ line coverage")
        lines.append("  least covered lib/ files (uncovered lines; see %s):"
                     % os.path.join(out, "lib-scenarios.txt"))
        for missing, name, p in least_covered(lib_sc["files"]):
            lines.append("    %-24s %4d lines uncovered (%.1f%%)" % (name, missing, p))
    never_crashed = [n for n in names if fp[n]["crash_runs"] == 0]
    lines.append("check: every failpoint crashed at by at least one scenario: %s"
                 % ("ok" if not never_crashed else "NOT HELD"))
    for n in never_crashed:
        why = "never reached either" if fp[n]["hits"] == 0 else "reached %d times, never crashed at" % fp[n]["hits"]
        lines.append("  missing: %s (%s)" % (n, why))
    if never_crashed:
        failed.append("failpoint coverage")
    errdb = errdb_table(os.path.join(out, "lib-scenarios-lines.json"))
    text_errdb, bad_errdb = errdb_lines(errdb)
    lines.append("")
    lines.extend(text_errdb)
    if bad_errdb:
        failed.append("%d OX_ERR_DB paths" % len(bad_errdb))
    harness = [r for r in bad_runs if r["exit"] >= 2]
    if harness:
        failed.append("%d runs could not run (exit 2 or 3)" % len(harness))
        lines.append("check: every scenario runs: NOT HELD (%d runs exited 2 or 3)" % len(harness))

    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump({"min_line_percent": minimum,
                   "lib_scenarios": {k: lib_sc[k] for k in ("lines", "branches")},
                   "lib_with_unit_tests": {k: lib_all[k] for k in ("lines", "branches")},
                   "all_code": {k: every[k] for k in ("lines", "branches")},
                   "runs": runs, "failpoints": fp, "errdb": errdb, "failed": failed}, f,
                  indent=1, sort_keys=True)
        f.write("\n")
    sys.stdout.write(text)
    if failed:
        print("coverage: NOT HELD: " + "; ".join(failed))
        return 1
    return 0


def main_errdb(lines_json):
    text, bad = errdb_lines(errdb_table(lines_json))
    print("\n".join(text))
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--errdb":
        sys.exit(main_errdb(sys.argv[2]))
    sys.exit(main())
