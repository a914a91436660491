#!/usr/bin/env python3
"""coverage_summary.py OUT MIN: the summary and the check of `make coverage`.

Reads what scripts/coverage.sh left in OUT: gcovr's JSON summaries (lib-scenarios.json:
lib/ from the scenario library alone; lib-all.json: with the unit tests; all.json: all
code), the runs' summary.json files under OUT/runs/, runs.txt (scenario seed exit), and
failpoints.list (`outbox-sim failpoints`).  Writes OUT/summary.txt and OUT/summary.json
and prints the text.  Exit 0 if lib/ line coverage from the scenarios is >= MIN percent
and every listed failpoint was crashed at by at least one run; else 1, after printing
what is missing (the least covered lib/ files with their uncovered lines; the failpoints
never crashed at, and never reached).
"""
import glob
import json
import os
import sys


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
                   "runs": runs, "failpoints": fp, "failed": failed}, f, indent=1, sort_keys=True)
        f.write("\n")
    sys.stdout.write(text)
    if failed:
        print("coverage: NOT HELD: " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
