#!/usr/bin/env python3
# mutate.py: mutation testing of lib/ (`make mutate`; docs/quality.md, "Mutation testing").
#
# No maintained mutation tool for C is packaged for Debian or npm (mull and dextool are
# not packaged, Stryker mutates JavaScript, C# and Scala), so this script generates the
# mutants itself from a catalogue of operators (OPERATORS below, mutate/operators.md
# says what each one models).  The mutants come from the source, not from a list of
# planted bugs: the same source gives the same mutants in the same order.
#
# Each mutant is one change in one lib/*.c file, written to a scratch copy (the worktree's
# lib/ is never touched), compiled alone and linked into an outbox-node beside the
# unmutated objects of build/ (so `make unit` must be current).  Then it is judged:
#   scenarios  every scenarios/*.lua under its own design, seeds 1 and 2, run by the
#              unmutated bin/outbox-sim with --node ROLE= the mutant, every role (and the
#              mutant outbox-ctl beside it, for scenarios that requeue); killed when a
#              run's exit code or verdict line differs from the unmutated build's.
#              Cheapest runs first, stop at the first kill.
#              A survivor also says whether any of its traces changed: what the trace
#              lock (tests/system/tracelock.sh) would see; reported apart, as the lock
#              judges no behaviour, only change.
#   suite      only for the survivors of the scenarios (a kill there fails
#              tests/system/scenarios.sh too), a subset of `make test`: the unit tests of
#              lib/ (tests/unit/lib) relinked with the mutant, the scenario library's seed 3
#              (scenarios.sh runs seeds 1-3), then SUITE_SYSTEM below with OUTBOX_BIN on
#              the mutant outbox-node and outbox-ctl beside the unmutated simulator.
# A mutant whose object code is the original's, byte for byte, is equivalent (trivial
# compiler equivalence) and not judged; one that does not compile is not counted.
# Results are cached in build/mutate-cache/, keyed by the mutated file's text and a hash
# of everything else the verdict depends on (binaries, objects, scenarios, tests, this
# script): a rerun judges only what changed.  Each scenario run is cached too
# (build/mutate-cache/runs/), keyed by the binaries' bytes, the scenario's text and the
# seed: after a scenario is added or edited, a mutant is rebuilt and judged on the runs
# that changed only, the others read back.  mutate/equivalent.txt marks survivors that
# are equivalent, each with its argument.
#
# Usage: scripts/mutate.py [--files FILE,FILE] [--limit N] [-j N] [--stage S]
#                          [--only ID,...] [--list] [--operators] [--report PATH]
#                          [--no-cache] [--cached-only]
# MUTATE_SAMPLE=N is --limit N (an evenly spaced sample of N mutants).  Exit 0 when the
# report was written, 2 on bad usage, 3 when the unmutated build fails its own judge.
import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
CACHE = os.path.join(ROOT, "build", "mutate-cache")
EQUIV = os.path.join(ROOT, "mutate", "equivalent.txt")
CHECKS = os.path.join(ROOT, "mutate", "checks.txt")
FUNC_START = re.compile(r"^[A-Za-z][^;=]*?\b(\w+)\(")
SEEDS = (1, 2)
# The system tests of the suite stage: the weak designs, the matrix of designs x
# scenarios, the operator's tool; a few seconds each (docs/quality.md says what was left
# out and why: a survivor's judging must stay within seconds on a shared machine).
SUITE_SYSTEM = ("ctl", "weak", "matrix")
# Bumped when the judging changes: the cache's results of an older judge are not reused.
JUDGE_VERSION = "3"
# Bumped when what one scenario run means changes (the run cache's key; judge versions 2
# and 3 ran the same runs).
RUN_VERSION = "2"
RUN_TIMEOUT = 60     # seconds of wall time for one scenario run of a mutant (a hang: killed)
# A run's exit codes that the machine's load can cause as well as the code: a harness
# error (the simulator waits 30 s of wall time for a node's step) and a hang.  A mutant's
# run that ends so is run again, and kills only if the same ending comes twice in a row.
LOAD_BOUND = (3, 124, 137)
CONFIRM_TRIES = 3

# ---- the operator catalogue -----------------------------------------------------------
# name -> what it models (mutate/operators.md says more).  The order is the order in which
# the operators are applied at one place in the source.
OPERATORS = {
    "ror":       "relational operator: < <=, > >=, == !=, each to its neighbour or negation",
    "aor":       "arithmetic operator: binary + and -, += and -=, swapped",
    "lcr":       "logical connector: && and || swapped",
    "const+1":   "an integer constant plus one",
    "const-1":   "an integer constant minus one (not below zero)",
    "negcond":   "the condition of an if or a while negated",
    "delcall":   "a call statement whose result is ignored, deleted",
    "retval":    "a returned expression replaced by 0 (or 0 by 1)",
    "sql-status": "a status literal in SQL replaced by another status",
    "sql-ror":   "a comparison in SQL: < <=, > >= swapped",
    "sql-and":   "one AND condition of a SQL WHERE clause dropped",
    "sql-order": "an ORDER BY clause dropped",
    "sql-limit": "a LIMIT clause dropped",
}
ROR = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
AOR = {"+": "-", "-": "+", "+=": "-=", "-=": "+="}
LCR = {"&&": "||", "||": "&&"}
STATUS_SWAP = {"SENDING": "CONSUMED", "CONSUMED": "SENDING", "DEAD": "FAILED",
               "FAILED": "DEAD", "PAID": "REFUNDED", "REFUNDED": "PAID",
               "OK": "REFUSED", "REFUSED": "OK"}
SQL_WORD = re.compile(r"\b(SELECT|UPDATE|DELETE|INSERT|WHERE|AND|ORDER BY|LIMIT|CHECK)\b")
KEYWORDS = {"if", "while", "for", "switch", "return", "sizeof", "case", "else", "do",
            "goto", "break", "continue", "default", "typedef", "struct", "enum", "union",
            "static", "const", "assert", "static_assert", "_Static_assert"}

TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<string>"(?:\\.|[^"\\\n])*")
  | (?P<char>'(?:\\.|[^'\\\n])*')
  | (?P<number>0[xX][0-9a-fA-F]+[uUlL]*|\d+\.\d*(?:[eE][-+]?\d+)?[fF]?|\d+[uUlL]*)
  | (?P<ident>[A-Za-z_]\w*)
  | (?P<punct>->|\+\+|--|<<=|>>=|<<|>>|<=|>=|==|!=|&&|\|\||\+=|-=|\*=|/=|%=|&=|\|=|\^=|
               \.\.\.|[-+*/%<>=!&|^~?:;,.(){}\[\]\#])
""", re.S | re.X)


def tokenize(text):
    """Tokens (kind, text, start) of C source; comments and preprocessor lines dropped."""
    toks, pos, line_start = [], 0, True
    while pos < len(text):
        m = TOKEN.match(text, pos)
        assert m, "cannot tokenize at offset %d" % pos
        kind = m.lastgroup
        if kind == "punct" and m.group() == "#" and line_start:
            end = pos
            while True:   # the directive, with its continuation lines
                nl = text.find("\n", end)
                if nl < 0 or text[nl - 1] != "\\":
                    break
                end = nl + 1
            pos = len(text) if nl < 0 else nl
            continue
        if kind == "ws":
            line_start = line_start or "\n" in m.group()
        elif kind != "comment":
            toks.append((kind, m.group(), pos))
            line_start = False
        pos = m.end()
    return toks


def matching(toks, i):
    """Index of the bracket that closes toks[i]."""
    open_, close = toks[i][1], {"(": ")", "[": "]", "{": "}"}[toks[i][1]]
    depth = 0
    for j in range(i, len(toks)):
        if toks[j][1] == open_:
            depth += 1
        elif toks[j][1] == close:
            depth -= 1
            if depth == 0:
                return j
    raise AssertionError("unbalanced %s at offset %d" % (open_, toks[i][2]))


def excluded_spans(toks):
    """Token index ranges not mutated: asserts (checks, not behaviour) and [N] sizes."""
    spans = []
    for i, (kind, text, _) in enumerate(toks):
        if kind == "ident" and text in ("assert", "static_assert", "_Static_assert") and \
                i + 1 < len(toks) and toks[i + 1][1] == "(":
            spans.append((i, matching(toks, i + 1)))
        if text == "[" and i + 2 < len(toks) and toks[i + 2][1] == "]":
            spans.append((i, i + 2))
    return spans


def is_operand_end(tok):
    return tok[0] in ("ident", "number", "string", "char") or tok[1] in (")", "]")


def c_mutants(toks, skip):
    """(start, end, replacement, op) of the C-level operators."""
    out = []
    for i, (kind, text, start) in enumerate(toks):
        if skip[i]:
            continue
        prev = toks[i - 1] if i else ("punct", ";", 0)
        end = start + len(text)
        if kind == "punct" and text in ROR:
            out.append((start, end, ROR[text], "ror"))
        elif kind == "punct" and text in AOR and (len(text) == 2 or is_operand_end(prev)):
            out.append((start, end, AOR[text], "aor"))
        elif kind == "punct" and text in LCR:
            out.append((start, end, LCR[text], "lcr"))
        elif kind == "number" and re.fullmatch(r"\d+[uUlL]*", text):
            digits = re.match(r"\d+", text).group()
            suffix = text[len(digits):]
            out.append((start, end, str(int(digits) + 1) + suffix, "const+1"))
            if int(digits) > 0:
                out.append((start, end, str(int(digits) - 1) + suffix, "const-1"))
        elif kind == "ident" and text in ("if", "while") and toks[i + 1][1] == "(":
            close = matching(toks, i + 1)
            out.append((toks[i + 1][2], toks[close][2] + 1,
                        None, "negcond", (toks[i + 1][2] + 1, toks[close][2])))
        elif kind == "ident" and text == "return" and toks[i + 1][1] != ";":
            semi = i + 1
            while toks[semi][1] != ";":
                semi = matching(toks, semi) + 1 if toks[semi][1] in "([{" else semi + 1
            expr = [t[1] for t in toks[i + 1:semi]]
            if expr == ["NULL"]:
                continue
            repl = "1" if expr in (["0"], ["OX_OK"], ["false"]) else "0"
            out.append((toks[i + 1][2], toks[semi][2], repl, "retval"))
        elif kind == "ident" and text not in KEYWORDS and toks[i + 1][1] == "(" and \
                statement_start(toks, i):
            close = matching(toks, i + 1)
            if close + 1 < len(toks) and toks[close + 1][1] == ";":
                first = i - 3 if prev[1] == ")" and toks[i - 2][1] == "void" else i
                out.append((toks[first][2], toks[close + 1][2] + 1, "{}", "delcall"))
    return out


def statement_start(toks, i):
    """Whether toks[i] begins a statement (or a (void) cast that begins one)."""
    j = i
    if j >= 3 and toks[j - 1][1] == ")" and toks[j - 2][1] == "void" and toks[j - 3][1] == "(":
        j -= 3
    prev = toks[j - 1][1] if j else ";"
    if prev in (";", "{", "}", "else", ":"):
        return True
    if prev == ")":   # the end of an if/while/for condition?
        depth = 0
        for k in range(j - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(toks[k][1], 0)
            if depth == 0:
                return k > 0 and toks[k - 1][1] in ("if", "while", "for")
    return False


def sql_mutants(toks, skip):
    """(start, end, replacement, op) inside SQL string literals."""
    out = []
    for i, (kind, text, start) in enumerate(toks):
        if kind != "string" or skip[i] or not SQL_WORD.search(text):
            continue
        for m in re.finditer(r"'([A-Z_]+)'", text):
            if m.group(1) in STATUS_SWAP:
                s = start + m.start(1)
                out.append((s, s + len(m.group(1)), STATUS_SWAP[m.group(1)], "sql-status"))
        for m in re.finditer(r"(?<=[\w)\s])(<=|>=|<(?![>=])|>)(?=[\s?\w(])", text):
            s = start + m.start()
            out.append((s, s + len(m.group()), ROR[m.group()], "sql-ror"))
        for m in re.finditer(r" AND [^ )\"]+", text):
            out.append((start + m.start(), start + m.end(), "", "sql-and"))
        for m in re.finditer(r" ORDER BY [\w, ]+?(?= LIMIT|\"|\))", text):
            out.append((start + m.start(), start + m.end(), "", "sql-order"))
        for m in re.finditer(r" LIMIT \?\d+", text):
            out.append((start + m.start(), start + m.end(), "", "sql-limit"))
    return out


def bare(line):
    """A source line without its indentation and its trailing comment."""
    return re.sub(r"\s*(/\*.*?\*/|//.*)\s*$", "", line).strip()


def generate(path):
    """The mutants of one file, in source order: dicts with id, op, line, text."""
    with open(os.path.join(ROOT, path)) as f:
        src = f.read()
    toks = tokenize(src)
    skip = [False] * len(toks)
    for a, b in excluded_spans(toks):
        for k in range(a, b + 1):
            skip[k] = True
    raw = c_mutants(toks, skip) + sql_mutants(toks, skip)
    order = list(OPERATORS)
    raw.sort(key=lambda m: (m[0], order.index(m[3]), m[1]))
    mutants, seen = [], set()
    lines = src.splitlines()
    funcs = []   # the function each line is in: the last definition opened above it
    for text in lines:
        f = FUNC_START.match(text)
        funcs.append(f.group(1) if f else (funcs[-1] if funcs else ""))
    for m in raw:
        start, end, repl, op = m[:4]
        if op == "negcond":
            a, b = m[4]
            text = src[:a] + "!(" + src[a:b] + ")" + src[b:]
        else:
            text = src[:start] + repl + src[end:]
        line = src.count("\n", 0, start) + 1
        col = start - (src.rfind("\n", 0, start) + 1) + 1
        mid = "%s:%d:%d:%s" % (path, line, col, op)
        assert mid not in seen, mid
        seen.add(mid)
        mutants.append({"id": mid, "file": path, "line": line, "op": op, "func": funcs[line - 1],
                        "before": bare(src.splitlines()[line - 1]),
                        "after": bare(text.splitlines()[line - 1]), "text": text})
    return mutants


# ---- the build ------------------------------------------------------------------------
def make_commands():
    """The compile line of a lib/ file and the link lines of the binaries, from make."""
    out = subprocess.run(["make", "-Bn", "unit"], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        die("make -Bn unit failed: " + out.stderr.strip().splitlines()[-1], 3)
    compile_line, links = None, {}
    for line in out.stdout.splitlines():
        words = shlex.split(line)
        if not words or words[0] not in ("cc", "gcc", "clang", os.environ.get("CC", "cc")):
            continue
        if "-c" in words and words[words.index("-c") + 1].startswith("lib/"):
            compile_line = words
        elif "-o" in words and "build/liboutbox.a" in words:
            target = words[words.index("-o") + 1]
            if target.startswith(("bin/", "build/tests/test_")):
                links[os.path.basename(target)] = words
    if not compile_line or "outbox-node" not in links:
        die("cannot find the compile and link lines in `make -n unit`", 3)
    return compile_line, links


def compile_obj(text, name, work, compile_line):
    """work/NAME.o from the text of the lib/ file NAME, or None if it does not compile.  The same
    relative name in every scratch folder, so equal code gives equal bytes."""
    src = os.path.join(work, name)
    with open(src, "w") as f:
        f.write(text)
    cc = [w for w in compile_line if w not in ("-MMD", "-MP", "-g", "-Werror")]
    i = cc.index("-c")
    cc[i + 1:i + 4] = [name, "-o", name[:-2] + ".o"]
    cc += ["-Wno-error", "-iquote", os.path.join(ROOT, "lib")]
    if run(cc, cwd=work, capture_output=True).returncode != 0:
        return None
    with open(src[:-2] + ".o", "rb") as f:
        return f.read()


def original_objects(files, compile_line):
    """The unmutated objects, compiled as the mutants are (trivial compiler equivalence:
    a mutant whose object is byte for byte the original's is equivalent, not judged)."""
    work = scratch()
    try:
        out = {}
        for f in files:
            with open(os.path.join(ROOT, f)) as fh:
                out[f] = compile_obj(fh.read(), os.path.basename(f), work, compile_line)
            if out[f] is None:
                die("the unmutated %s does not compile" % f, 3)
        return out
    finally:
        drop(work)


def build(mutant, work, cmds, names, orig):
    """Compiles the mutant and links the binaries named: "ok", "stillborn" (does not
    compile) or "same" (the original object code)."""
    name = os.path.basename(mutant["file"])
    code = compile_obj(mutant["text"], name, work, cmds[0])
    if code is None:
        return "stillborn"
    if code == orig[mutant["file"]]:
        return "same"
    link(mutant, work, cmds, names)
    return "ok"


def link(mutant, work, cmds, names):
    """Links the binaries named with the mutant's object, into work/bin or work/tests."""
    obj = os.path.join(work, os.path.basename(mutant["file"])[:-2] + ".o")
    links = cmds[1]
    for name in names:
        ld = list(links[name])
        ld[ld.index("-o") + 1] = os.path.join(work, "bin" if not name.startswith("test_")
                                              else "tests", name)
        ld.insert(ld.index("build/liboutbox.a"), obj)   # the mutant first: its archive
        os.makedirs(os.path.dirname(ld[ld.index("-o") + 1]), exist_ok=True)  # member unused
        r = run(ld, cwd=ROOT, capture_output=True, text=True)
        if r.returncode != 0:
            die("link of %s failed for %s: %s" % (name, mutant["id"], r.stderr[-300:]), 3)


# ---- judging --------------------------------------------------------------------------
def run_scenario(node, scenario, seed, out):
    """(exit code, verdict line) of one run; a hang is its own verdict."""
    cmd = ["timeout", "-k", "5", str(RUN_TIMEOUT), os.path.join(ROOT, "bin", "outbox-sim"),
           "run", scenario, "--seed", str(seed), "--out", out, "--quiet"]
    # Every role runs the mutant node: relay-1..relay-N too (topology { relays = N }); a
    # judge before version 2 left the relays on the unmutated node, so lib/relay.c and the
    # relay's share of lib/scan.c were never judged in the processes that run them.
    for role in ("payment", "broker", "accounting", "relay"):
        cmd += ["--node", "%s=%s" % (role, node)]
    r = run(cmd, cwd=ROOT, capture_output=True, text=True)
    trace = os.path.join(out, os.path.basename(scenario)[:-4], str(seed), "trace.jsonl")
    digest = ""
    if os.path.exists(trace):
        with open(trace, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    shutil.rmtree(out, ignore_errors=True)
    verdict = [l.strip() for l in r.stdout.splitlines() if "verdict" in l.lower()]
    return [r.returncode, verdict[0] if verdict else ""], digest


def lib_tests(cmds):
    """The unit tests of lib/: the test binaries linked from tests/unit/lib."""
    return sorted(n for n in cmds[1] if n.startswith("test_") and
                  any(w.startswith("build/tests/unit/lib/") for w in cmds[1][n]))


def suite_baseline(cmds, order, base):
    """The suite stage must pass on the unmutated build, set up as for a mutant."""
    work = scratch()
    try:
        os.makedirs(os.path.join(work, "tests"))
        shutil.copytree(os.path.join(ROOT, "bin"), os.path.join(work, "bin"))
        for t in lib_tests(cmds):
            shutil.copy2(os.path.join(ROOT, "build", "tests", t), os.path.join(work, "tests"))
        res = judge_suite(work, lib_tests(cmds), order, base)
        if res["killed"]:
            die("the unmutated build fails the suite stage: " + res["by"], 3)
    finally:
        drop(work)


def baseline(runs, use_cache):
    """The unmutated build's verdict of every run, and how long each took (from the run
    cache when these binaries ran this scenario before: the order stays the same)."""
    work = scratch()
    try:
        res = {}
        bins = binaries_digest(os.path.join(ROOT, "bin"))
        for sc, seed in runs:
            got = run_get(bins, sc, seed) if use_cache else None
            if got is None:
                t0 = time.monotonic()
                sig, digest = run_scenario(os.path.join(ROOT, "bin", "outbox-node"), sc,
                                           seed, os.path.join(work, "runs"))
                got = {"sig": sig, "digest": digest, "seconds": time.monotonic() - t0}
                if use_cache:
                    run_put(bins, sc, seed, got)
            res["%s %d" % (sc, seed)] = (got["sig"], got["seconds"], got["digest"])
        return res
    finally:
        drop(work)


def judge_scenarios(work, order, base, use_cache):
    """Killed at the first run whose verdict differs.  A survivor also says whether any
    of its traces differs from the unmutated build's (what the trace lock would see).
    The runs the run cache knows for these binaries go first (a scenario added since
    costs only its own runs), then the others, cheapest first."""
    node = os.path.join(work, "bin", "outbox-node")
    bins = binaries_digest(os.path.join(work, "bin"))
    known = {}
    for key in order if use_cache else ():
        sc, seed = key.rsplit(" ", 1)
        got = run_get(bins, sc, int(seed))
        if got is not None:
            known[key] = got
    digests = {}
    for n, key in enumerate([k for k in order if k in known] +
                            [k for k in order if k not in known], 1):
        sc, seed = key.rsplit(" ", 1)
        got = known.get(key)
        if got is None:
            got = confirmed_run(node, sc, int(seed), os.path.join(work, "runs"), base[key][0])
            if use_cache:
                run_put(bins, sc, int(seed), got)
        if got["sig"] != base[key][0]:
            return {"killed": True, "by": "%s seed %s: %s" % (sc, seed, describe(got["sig"])),
                    "runs": n, "runs_cached": len(known)}
        digests[key] = got["digest"]
    changed = next((k for k in order if digests[k] != base[k][2]), "")
    return {"killed": False, "runs": len(order), "runs_cached": len(known),
            "trace_changed": changed.replace(" ", " seed ")}


def confirmed_run(node, sc, seed, out, base_sig):
    """One run of the mutant; a harness error or a hang that differs from the unmutated
    build's is run again, up to CONFIRM_TRIES runs, until two in a row end the same way
    (the mutant's doing) or one ends as the unmutated build's (the load's).  "confirmed"
    says the result may be cached."""
    sig, digest = run_scenario(node, sc, seed, out)
    for _ in range(CONFIRM_TRIES - 1):
        if sig == base_sig or sig[0] not in LOAD_BOUND:
            break
        again, digest2 = run_scenario(node, sc, seed, out)
        if again == sig:
            return {"sig": sig, "digest": digest, "confirmed": True}
        sig, digest = again, digest2
    return {"sig": sig, "digest": digest,
            "confirmed": sig == base_sig or sig[0] not in LOAD_BOUND}


def describe(sig):
    rc, verdict = sig
    if rc == 124 or rc == 137:
        return "hung (timeout)"
    return "exit %d%s" % (rc, (", " + verdict) if verdict else "")


def judge_suite(work, tests, order, base):
    """The suite on the binaries of work/bin (a copy of the simulator: it finds the node
    beside its own resolved path; --node would change the commands the matrix cites) and
    the unit tests of work/tests."""
    env = dict(os.environ, OUTBOX_BIN=os.path.join(work, "bin"))
    env.pop("OUTBOX_NODE", None)
    for key in order:   # seed 3 of the library (scenarios.sh runs seeds 1-3)
        sc, seed = key.rsplit(" ", 1)
        if seed != str(SEEDS[0]):
            continue
        cmd = ["timeout", "-k", "5", str(RUN_TIMEOUT), os.path.join(work, "bin", "outbox-sim"),
               "run", sc, "--seed", "3", "--out", os.path.join(work, "runs"), "--quiet"]
        r = run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        shutil.rmtree(os.path.join(work, "runs"), ignore_errors=True)
        if r.returncode != 0:
            return {"killed": True, "by": "tests/system/scenarios.sh: %s seed 3 exit %d" % (
                sc, r.returncode)}
    for t in tests:
        r = run(["timeout", "-k", "5", "600", os.path.join(work, "tests", t)],
                           cwd=ROOT, env=env, capture_output=True)
        if r.returncode != 0:
            return {"killed": True, "by": "unit test " + t}
    for name in SUITE_SYSTEM:
        r = run(["timeout", "-k", "5", "900", "bash",
                            "tests/system/%s.sh" % name], cwd=ROOT, env=env,
                           capture_output=True, text=True)
        bad = [l for l in r.stdout.splitlines() if l.startswith("not ok")]
        if r.returncode != 0 or bad:
            return {"killed": True, "by": "tests/system/%s.sh: %s" % (
                name, bad[0][len("not ok - "):] if bad else "exit %d" % r.returncode)}
    return {"killed": False}




# ---- the cache ------------------------------------------------------------------------
def context_hash():
    """Everything but the mutated file that a verdict depends on."""
    h = hashlib.sha256(("judge %s seeds %s suite %s" % (JUDGE_VERSION, SEEDS,
                                                        SUITE_SYSTEM)).encode())
    paths = ["bin/outbox-sim", "bin/outbox-node", "bin/outbox-ctl", "build/liboutbox.a",
             "build/libproto.a", "build/libsim.a", "tests/system/lib.bash",
             "tests/system/scenarios.sh", "tests/trace-hashes.expected",
             "tests/matrix.expected"] + ["tests/system/%s.sh" % t for t in SUITE_SYSTEM]
    for folder, ending in (("scenarios", ".lua"), ("build/tests", ""), ("bench", ".lua")):
        for name in sorted(os.listdir(os.path.join(ROOT, folder))):
            full = os.path.join(folder, name)
            if name.endswith(ending) and os.path.isfile(os.path.join(ROOT, full)):
                paths.append(full)
    for p in paths:
        h.update(p.encode() + b"\0")
        with open(os.path.join(ROOT, p), "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


# The run cache: one scenario run's verdict and trace digest, keyed by the bytes of the
# binaries it ran (the simulator, the node, the operator's tool beside it), the
# scenario's text and the seed.  A run is deterministic given these (docs/design.md,
# "Determinism"), so its result holds until one of them changes; that is what lets a
# rerun after a new scenario judge each mutant on the new runs alone.  A harness error or
# a hang is kept only once confirmed (confirmed_run): it may be the load of the machine.
RUNS = os.path.join(CACHE, "runs")
DIGESTS = {}   # path -> (mtime, size, sha256): the simulator and scenarios, read once


def file_digest(path):
    st = os.stat(path)
    got = DIGESTS.get(path)
    if got and got[:2] == (st.st_mtime_ns, st.st_size):
        return got[2]
    with open(path, "rb") as f:
        d = hashlib.sha256(f.read()).hexdigest()
    DIGESTS[path] = (st.st_mtime_ns, st.st_size, d)
    return d


def binaries_digest(bindir):
    """The node and the operator's tool of bindir, and the simulator that runs them."""
    return hashlib.sha256(("run %s timeout %d sim %s node %s ctl %s" % (
        RUN_VERSION, RUN_TIMEOUT, file_digest(os.path.join(ROOT, "bin", "outbox-sim")),
        file_digest(os.path.join(bindir, "outbox-node")),
        file_digest(os.path.join(bindir, "outbox-ctl")))).encode()).hexdigest()


def run_path(bins, scenario, seed):
    key = hashlib.sha256(("%s %s %s %d" % (bins, scenario, file_digest(
        os.path.join(ROOT, scenario)), seed)).encode()).hexdigest()
    return os.path.join(RUNS, key[:2], key + ".json")


def run_get(bins, scenario, seed):
    try:
        with open(run_path(bins, scenario, seed)) as f:
            got = json.load(f)
    except (OSError, ValueError):
        return None
    # kept before LOAD_BOUND was confirmed: run again
    return None if got["sig"][0] in LOAD_BOUND and not got.get("confirmed") else got


def run_put(bins, scenario, seed, got):
    if got["sig"][0] in LOAD_BOUND and not got.get("confirmed"):
        return
    path = run_path(bins, scenario, seed)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp%d" % os.getpid()
    with open(tmp, "w") as f:
        json.dump(got, f)
    os.replace(tmp, path)


def cache_key(ctx, mutant):
    return hashlib.sha256((ctx + "\0" + mutant["file"] + "\0" + mutant["text"]).encode()
                          ).hexdigest()


def cache_get(key):
    try:
        with open(os.path.join(CACHE, key[:2], key + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def cache_put(key, result):
    d = os.path.join(CACHE, key[:2])
    os.makedirs(d, exist_ok=True)
    tmp = os.path.join(d, key + ".tmp%d" % os.getpid())
    with open(tmp, "w") as f:
        json.dump(result, f)
    os.replace(tmp, os.path.join(d, key + ".json"))


# ---- one mutant -----------------------------------------------------------------------
STAGES = ("scenarios", "suite")


SCRATCH = set()   # the scratch folders in use, removed on SIGTERM or SIGINT too
STOPPING = threading.Event()   # set by on_signal: no worker starts anything new


class Stopped(Exception):
    pass


def scratch():
    if STOPPING.is_set():
        raise Stopped()
    work = tempfile.mkdtemp(prefix="outbox-mutate.")
    SCRATCH.add(work)
    return work


def drop(work):
    shutil.rmtree(work, ignore_errors=True)
    SCRATCH.discard(work)


CHILDREN = set()   # the commands running (compilers, links, runs), stopped on a signal


def run(cmd, **kw):
    """subprocess.run, with the child known to on_signal."""
    text = kw.pop("text", False)
    kw.pop("capture_output", None)
    if STOPPING.is_set():
        raise Stopped()
    # errors="replace": a mutant's run may print bytes that are not UTF-8 (a message
    # formatted from a buffer nobody filled), and its verdict is still to be read.
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=text,
                         errors="replace" if text else None, **kw)
    CHILDREN.add(p)
    try:
        out, err = p.communicate()
    finally:
        CHILDREN.discard(p)
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)


def on_signal(signum, frame):
    """Stopped: stop the children (timeout passes SIGTERM on to a run, which cleans up
    after itself), remove every scratch folder and go; the worktree was never written."""
    STOPPING.set()
    for _ in range(3):   # twice more for what a worker started as the flag went up
        for p in list(CHILDREN):
            p.terminate()
        deadline = time.monotonic() + 10
        for p in list(CHILDREN):
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
        for work in list(SCRATCH):
            shutil.rmtree(work, ignore_errors=True)
        time.sleep(0.2)
    print("mutate: stopped by signal %d; scratch folders removed" % signum, file=sys.stderr)
    os._exit(128 + signum)


def judge(mutant, ctx, cmds, order, base, stages, use_cache, orig, cached_only=False):
    """The verdicts of one mutant, stage by stage, each stage only for the survivors."""
    key = cache_key(ctx, mutant)
    res = cache_get(key) if use_cache else {}
    if all(s in res for s in stages) or res.get("stillborn") or res.get("same") or \
            (cached_only and "scenarios" in res):
        return dict(res, cached=True)
    if cached_only:
        return {"skipped": True, "cached": True}
    work = scratch()
    try:
        # The service and its operator's tool (a scenario may run outbox-ctl beside the
        # node); the simulator is the judge and stays unmutated.
        built = build(mutant, work, cmds, ["outbox-node", "outbox-ctl"], orig)
        if built != "ok":
            res = {built: True}
        else:
            shutil.copy2(os.path.join(ROOT, "bin", "outbox-sim"),
                         os.path.join(work, "bin", "outbox-sim"))
            t0 = time.monotonic()
            if "scenarios" not in res:
                res["scenarios"] = judge_scenarios(work, order, base, use_cache)
            if res["scenarios"]["killed"]:
                # A kill by the scenarios fails tests/system/scenarios.sh: the suite's too.
                res["suite"] = dict(res["scenarios"])
            elif "suite" in stages and "suite" not in res:
                tests = lib_tests(cmds)
                link(mutant, work, cmds, tests)
                res["suite"] = judge_suite(work, tests, order, base)
            res["seconds"] = round(res.get("seconds", 0) + time.monotonic() - t0, 2)
        if use_cache:
            cache_put(key, res)
        return res
    finally:
        drop(work)


# ---- equivalent mutants ---------------------------------------------------------------
def load_checks():
    """mutate/checks.txt: (file, function or *, check), in order."""
    out = []
    with open(CHECKS) as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                die("%s:%d: want FILE, FUNCTION, CHECK separated by tabs" % (
                    os.path.relpath(CHECKS, ROOT), n), 2)
            out.append(parts)
    return out


def check_of(checks, m):
    for f, func, check in checks:
        if f == m["file"] and func in ("*", m["func"]):
            return check
    return "(no check named in mutate/checks.txt)"


def load_equivalent():
    """mutate/equivalent.txt: FILE, OP, LINE, MUTATED LINE, ARGUMENT; tab-separated."""
    eq = {}
    if not os.path.exists(EQUIV):
        return eq
    with open(EQUIV) as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5 or parts[1] not in OPERATORS or not parts[4].strip():
                die("%s:%d: want FILE, OPERATOR, LINE, MUTATED LINE, ARGUMENT separated by "
                    "tabs" % (os.path.relpath(EQUIV, ROOT), n), 2)
            # FILE or FILE:FUNCTION: the function narrows an entry whose lines occur twice
            eq[(parts[0], parts[1], parts[2].strip(), parts[3].strip())] = parts[4].strip()
    return eq


# ---- the report -----------------------------------------------------------------------
def rate(killed, total):
    return "%d of %d (%.1f%%)" % (killed, total, 100.0 * killed / total) if total else "none"


def cell(text):
    return "`%s`" % text.replace("|", "\\|").replace("`", "'")


def report(path, mutants, results, stages, eq, meta):
    """The report: figures, then every survivor of the scenario library by file."""
    live = [m for m in mutants if not results[m["id"]].get("stillborn")]
    same = [m for m in live if results[m["id"]].get("same")]
    judged = [m for m in live if not results[m["id"]].get("same")]
    lines = ["# Mutation testing of lib/: the last run", "",
             "Written by `scripts/mutate.py` (docs/quality.md, \"Mutation testing\"); "
             "do not edit.", "",
             "- date: %s" % meta["date"],
             "- command: `%s`" % meta["command"],
             "- files: %s" % " ".join(meta["files"]),
             "- mutants: %d generated, %d taken, %d did not compile (not counted), %d with "
             "the original's object code (equivalent, not judged), %d judged" % (
                 meta["generated"], len(mutants), len(mutants) - len(live), len(same),
                 len(judged))]
    if meta["skipped"]:
        lines.append("- left out: %d mutants of the sample had no result in the cache "
                     "(--cached-only)" % meta["skipped"])
    lines += [
             "- wall time: %d s with %d jobs (%d judged afresh, the rest from the cache; "
             "scenario runs: %d run, %d from the run cache)" % (
                 meta["seconds"], meta["jobs"], meta["fresh"], meta.get("executed", 0),
                 meta.get("reused", 0))]
    for stage in stages:
        # A stopped run (--cached-only) may have judged only the first stage of some.
        done = [m for m in judged if stage in results[m["id"]]]
        killed = sum(results[m["id"]][stage]["killed"] for m in done)
        alive = sum(1 for m in done if equivalent(eq, m) and
                    not results[m["id"]][stage]["killed"])
        lines.append("- killed by %s: %s of the compiled mutants; %s of those not known "
                     "equivalent (%d same object code, %d marked in mutate/equivalent.txt)%s" % (
                         STAGE_NAMES[stage], rate(killed, len(done) + len(same)),
                         rate(killed, len(done) - alive), len(same), alive,
                         "" if len(done) == len(judged) else
                         "; judged on %d of the %d" % (len(done), len(judged))))
    scen_alive = [m for m in judged if not results[m["id"]]["scenarios"]["killed"]]
    moved = [m for m in scen_alive if results[m["id"]]["scenarios"].get("trace_changed")]
    lines.append("- survivors of the scenario library whose trace changed in some run (the "
                 "trace lock, a change detector, fails on them): %d of %d" % (
                     len(moved), len(scen_alive)))
    lines += ["", "## Survivors of the scenario library", "",
              "Columns: the line, the operator (mutate/operators.md), the line as mutated, "
              "what the suite stage says, the first run whose trace changed (empty: no "
              "trace changed), `eq` when mutate/equivalent.txt argues it is equivalent.", ""]
    for f in sorted({m["file"] for m in scen_alive}):
        rows = [m for m in scen_alive if m["file"] == f]
        lines += ["### %s (%d)" % (f, len(rows)), "",
                  "| line | function | operator | mutated line | suite | trace changed | eq |",
                  "|---|---|---|---|---|---|---|"]
        for m in rows:
            r = results[m["id"]]
            suite = "not judged" if "suite" not in r else \
                ("killed: " + r["suite"]["by"]) if r["suite"]["killed"] else "survives"
            lines.append("| %d | %s | %s | %s | %s | %s | %s |" % (
                m["line"], m["func"], m["op"], cell(m["after"] if m["op"] != "delcall" else
                                          "deleted: " + m["before"]),
                suite.replace("|", "\\|"), r["scenarios"].get("trace_changed", ""),
                "eq" if equivalent(eq, m) else ""))
        lines.append("")
    lines += ["## Survivors by the check that would catch them", "",
              "The survivors of the scenario library not argued equivalent, by the check a "
              "user would have wanted to catch each (mutate/checks.txt maps a file and "
              "function to it); `suite` counts those the suite kills.", "",
              "| check | survivors | suite kills | mutants |", "|---|---|---|---|"]
    groups = {}
    for m in scen_alive:
        if not equivalent(eq, m):
            groups.setdefault(check_of(meta["checks"], m), []).append(m)
    for check in sorted(groups, key=lambda c: (-len(groups[c]), c)):
        rows = groups[check]
        kills = sum(1 for m in rows if "suite" in results[m["id"]] and
                    results[m["id"]]["suite"]["killed"])
        lines.append("| %s | %d | %d | %s |" % (check, len(rows), kills, " ".join(
            "%s:%d" % (m["file"][4:], m["line"]) for m in rows)))
    lines.append("")
    if same:
        lines += ["## Equivalent by object code", "",
                  "These compile to the original's object code, byte for byte.", ""]
        lines += ["- %s:%d %s: %s" % (m["file"], m["line"], m["op"], cell(m["after"]))
                  for m in same]
        lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return lines


STAGE_NAMES = {"scenarios": "the scenario library alone",
               "suite": "the suite (lib unit tests, seeds 1-3, weak, matrix, ctl; no lock)"}


def equivalent(eq, m):
    return any((where, m["op"], m["before"], m["after"]) in eq
               for where in (m["file"], "%s:%s" % (m["file"], m["func"])))


def die(msg, code):
    print("mutate: " + msg, file=sys.stderr)
    sys.exit(code)


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="scripts/mutate.py", description="mutation testing "
                                 "of lib/ (docs/quality.md, \"Mutation testing\")")
    ap.add_argument("--files", default="", help="comma-separated lib/*.c files (default all)")
    ap.add_argument("--limit", type=int, default=int(os.environ.get("MUTATE_SAMPLE", 0) or 0),
                    help="an evenly spaced sample of N mutants (MUTATE_SAMPLE)")
    ap.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("MUTATE_JOBS", 2)))
    ap.add_argument("--stage", choices=STAGES, default="suite",
                    help="the last stage to judge (default suite: both)")
    ap.add_argument("--only", default="", help="comma-separated mutant ids")
    ap.add_argument("--list", action="store_true", help="print the mutants, judge none")
    ap.add_argument("--operators", action="store_true", help="print the operator catalogue")
    ap.add_argument("--report", default="mutate/report.md")
    ap.add_argument("--no-cache", action="store_true")
    ap.add_argument("--cached-only", action="store_true",
                    help="judge nothing: report the mutants the cache has results for")
    try:
        return ap.parse_args(argv)
    except SystemExit as e:
        sys.exit(2 if e.code else 0)


def select(args):
    files = args.files.split(",") if args.files else sorted(
        "lib/" + n for n in os.listdir(os.path.join(ROOT, "lib")) if n.endswith(".c"))
    for f in files:
        if not re.fullmatch(r"lib/[\w-]+\.c", f) or not os.path.isfile(os.path.join(ROOT, f)):
            die("--files: %s is not a C file of lib/" % f, 2)
    if args.limit < 0 or args.jobs < 1:
        die("--limit wants N >= 0 and -j N >= 1", 2)
    mutants = [m for f in files for m in generate(f)]
    generated = len(mutants)
    if args.only:
        want = args.only.split(",")
        ids = {m["id"] for m in mutants}
        for w in want:
            if w not in ids:
                die("--only: no mutant %s (scripts/mutate.py --list shows them)" % w, 2)
        mutants = [m for m in mutants if m["id"] in want]
    if args.limit and args.limit < len(mutants):
        step = len(mutants) / args.limit
        mutants = [mutants[int(k * step)] for k in range(args.limit)]
    return files, mutants, generated


def main(argv):
    args = parse_args(argv)
    if args.operators:
        for name, what in OPERATORS.items():
            print("%s\t%s" % (name, what))
        return 0
    files, mutants, generated = select(args)
    if args.list:
        try:
            sys.stdout.write("".join("%s\t%s\t%s\n" % (m["id"], m["before"], m["after"])
                                     for m in mutants))
            sys.stdout.flush()
        except BrokenPipeError:   # `| head`: the reader had enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stages = STAGES[:STAGES.index(args.stage) + 1]
    eq = load_equivalent()
    t0 = time.monotonic()
    runs = [(sc, seed) for seed in SEEDS for sc in sorted(
        "scenarios/" + n for n in os.listdir(os.path.join(ROOT, "scenarios"))
        if n.endswith(".lua"))]
    base = {} if args.cached_only else baseline(runs, not args.no_cache)
    broken = [k for k, (sig, _, _) in base.items() if sig[0] != 0]
    if broken:
        die("the unmutated build fails its own runs: " + ", ".join(broken), 3)
    order = sorted(base, key=lambda k: (round(base[k][1], 2), k))   # cheapest first
    cmds = make_commands()
    orig = original_objects(files, cmds[0])
    if "suite" in stages and not args.cached_only:
        suite_baseline(cmds, order, base)
    ctx = context_hash()
    results, fresh, executed, reused = {}, 0, 0, 0
    print("mutate: %d mutants of %d files (%d generated), %d runs each at most, -j %d" % (
        len(mutants), len(files), generated, len(order), args.jobs), file=sys.stderr)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        # Judged in a scattered order (golden-ratio strides over the list), so that the
        # mutants judged by any moment of a run spread over every file: a run stopped
        # early and reported with --cached-only is still a sample of all of lib/.
        # The scenario stage first for all, then the suite for its survivors: a run
        # stopped early has the first figure on the larger sample.
        scattered = sorted(range(len(mutants)), key=lambda k: ((k * 0.6180339887) % 1, k))
        passes = [stages[:1], stages] if len(stages) > 1 else [stages]
        todo = {}
        for k in scattered:
            todo[pool.submit(judge, mutants[k], ctx, cmds, order, base, passes[0],
                             not args.no_cache, orig, args.cached_only)] = mutants[k]
        for k in scattered if len(passes) > 1 else []:
            todo[pool.submit(judge, mutants[k], ctx, cmds, order, base, passes[1],
                             not args.no_cache, orig, args.cached_only)] = mutants[k]
        for n, fut in enumerate(concurrent.futures.as_completed(todo), 1):
            m = todo[fut]
            results[m["id"]] = fut.result()
            r = results[m["id"]]
            if not r.pop("cached", False):
                fresh += 1
                sr = r.get("scenarios", {})
                executed += max(0, sr.get("runs", 0) - sr.get("runs_cached", 0))
                reused += min(sr.get("runs", 0), sr.get("runs_cached", 0))
            if r.get("skipped"):
                continue
            state = "stillborn" if r.get("stillborn") else "same object code" if \
                r.get("same") else ("killed" if r["scenarios"]["killed"] else "survived")
            if state == "killed":
                state += " (%s)" % r["scenarios"]["by"]
            if "suite" in r and not r["scenarios"]["killed"]:
                state += ", suite: " + ("killed (%s)" % r["suite"]["by"]
                                        if r["suite"]["killed"] else "survived")
            print("mutate: [%d/%d] %s %s" % (n, len(todo), m["id"], state), file=sys.stderr)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "command": " ".join(["scripts/mutate.py"] + argv), "files": files,
            "generated": generated, "seconds": time.monotonic() - t0, "jobs": args.jobs,
            "fresh": fresh, "checks": load_checks(),
            "executed": executed, "reused": reused}
    meta["skipped"] = sum(1 for m in mutants if results[m["id"]].get("skipped"))
    mutants = [m for m in mutants if not results[m["id"]].get("skipped")]
    lines = report(os.path.join(ROOT, args.report), mutants, results, stages, eq, meta)
    print("\n".join(l for l in lines[:lines.index("## Survivors of the scenario library")]
                    if l.startswith("- ")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
