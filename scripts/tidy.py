#!/usr/bin/env python3
# tidy.py: the house rules that a compiler does not check, checked on every file git
# tracks (TigerBeetle's tidy.zig is the model).  Run by `make tidy` and by
# tests/system/tidy.sh in `make test`.
#
#   header    every C file (.c, .h) opens with "/*" and then "** <its name>: <purpose>"
#   columns   no line of a C file is longer than 100 columns
#   function  no C function is longer than 70 lines, from its signature to its "}"
#   section   a section marker has one style: "/* ---- name ------ */"
#   layer     an #include goes only downward: sim/tools -> sim/report -> sim/check ->
#             sim/core -> sim/scenario -> sim/util -> proto/ -> lib/ (docs/design.md,
#             "Layers"); lib/ and proto/ include nothing of node/, ctl/ or sim/
#   reference every file a source, script or doc names is in the repository, so a reader
#             can follow it: a path under one of the repository's top folders, a
#             Markdown file, a C file
#
# Prints one line per violation, "path:line: rule: what", and exits 1 if there is any,
# 0 if none, 2 on bad usage.  Usage: scripts/tidy.py [--summary]
import os
import re
import subprocess
import sys

MAX_COLUMNS = 100
MAX_FUNCTION_LINES = 70
C_ENDINGS = (".c", ".h")
# Text files whose references are checked (data and generated files are not).
TEXT_ENDINGS = C_ENDINGS + (".md", ".sh", ".bash", ".mk", ".py", ".lua", ".js", ".css",
                            ".html", ".txt")
TEXT_NAMES = ("Makefile", "README", "run", "before-stop")
REF_ENDINGS = r"c|h|md|lua|sh|bash|mk|py|js|css|html|expected"
REF_RE = re.compile(r"(?<![\w/.$*<{-])((?:[\w.-]+/)*[\w-]+(?:\.[\w-]+)*\.(?:%s))(?![\w/-])"
                    % REF_ENDINGS)
# Other projects' sources, cited by name for what they teach (Lua, SQLite).
# Folders whose files runs and builds make: a path there names an output, not a source.
MADE = {"reports", "build", "bin"}
# A line that names a missing file on purpose (a test of bad input) says so; said in the
# first five lines, it covers the whole file.
EXEMPT = "tidy: not a file"
EXTERNAL = {"lbaselib.c", "ldo.c", "os_unix.c", "pager.c", "test6.c", "test_vfs.c"}
FUNC_START = re.compile(r"^(?!typedef|struct|enum|union|static const|const|#|/|\*| )"
                        r"[A-Za-z_][\w \*]*\b(\w+)\s*\([^;]*$")


def tracked():
    out = subprocess.run(["git", "ls-files", "-z"], capture_output=True, check=True)
    files = [f for f in out.stdout.decode().split("\0") if f]
    return [f for f in files if os.path.isfile(f) or os.path.islink(f)]


def read_lines(path):
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read().split("\n")


# Top to bottom: a file may include its own folder and the folders after its own.
LAYERS = ["sim/tools", "sim/report", "sim/check", "sim/core", "sim/scenario", "sim/util",
          "proto", "lib"]
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of(path):
    for i, layer in enumerate(LAYERS):
        if path.startswith(layer + "/"):
            return i
    return -1


def check_layers(path, lines, out):
    mine = layer_of(path)
    if mine < 0:
        return
    for i, line in enumerate(lines, 1):
        m = INCLUDE_RE.match(line)
        if not m:
            continue
        target = os.path.normpath(os.path.join(os.path.dirname(path), m.group(1)))
        theirs = layer_of(target)
        outside = target.split("/", 1)[0] in ("node", "ctl", "sim") and theirs < 0
        if (theirs >= 0 and theirs < mine) or outside:
            out.append("%s:%d: layer: includes %s, a layer above %s"
                       % (path, i, target, LAYERS[mine]))


SECTION_ANY = re.compile(r"^\s*/\* ?-{3,}")
SECTION_OK = re.compile(r"^/\* ---- [^-\s].*? -{3,}( \*/)?$")


def check_sections(path, lines, out):
    for i, line in enumerate(lines, 1):
        if SECTION_ANY.match(line) and not SECTION_OK.match(line):
            out.append("%s:%d: section: a section marker reads '/* ---- name ---- */'"
                       % (path, i))


def check_header(path, lines, out):
    name = os.path.basename(path)
    if len(lines) < 2 or lines[0] != "/*" or not lines[1].startswith("** %s: " % name):
        out.append("%s:1: header: does not open with '/*' and '** %s: purpose'" % (path, name))


def check_columns(path, lines, out):
    for i, line in enumerate(lines, 1):
        if len(line) > MAX_COLUMNS:
            out.append("%s:%d: columns: %d columns (at most %d)"
                       % (path, i, len(line), MAX_COLUMNS))


def function_end(lines, start):
    """The index of the line closing the function whose signature is at start, or -1."""
    i = start
    while i < len(lines) and i < start + 8:
        if lines[i].rstrip().endswith("{"):
            break
        if lines[i].rstrip().endswith(";"):
            return -1
        i += 1
    else:
        return -1
    for j in range(i + 1, len(lines)):
        if lines[j].startswith("}"):
            return j
    return -1


def check_functions(path, lines, out):
    i = 0
    while i < len(lines):
        m = FUNC_START.match(lines[i])
        if not m:
            i += 1
            continue
        end = function_end(lines, i)
        if end < 0:
            i += 1
            continue
        length = end - i + 1
        if length > MAX_FUNCTION_LINES:
            out.append("%s:%d: function: %s() has %d lines (at most %d)"
                       % (path, i + 1, m.group(1), length, MAX_FUNCTION_LINES))
        i = end + 1


def is_text(path):
    base = os.path.basename(path)
    return path.endswith(TEXT_ENDINGS) or base in TEXT_NAMES


def reference_exists(ref, path, files, basenames, tops):
    """Whether a name that looks like one of the repository's files is one.  Names that
    are not the repository's (a file a run or the user makes, another project's source
    cited by name) are passed over: only paths under a top folder of the repository,
    Markdown files and C files are taken as references."""
    first = ref.split("/", 1)[0]
    if "/" in ref:
        if first not in tops or first in MADE:
            return True
        return ref in files or any(f.startswith(ref + "/") for f in files)
    if ref.endswith(".md") or (ref.endswith(C_ENDINGS) and ref not in EXTERNAL
                               and len(ref) > 3):
        return ref in basenames
    return True


def check_references(path, lines, files, basenames, tops, out):
    for i, line in enumerate(lines, 1):
        if EXEMPT in line:
            if i <= 5:
                return  # in the file's header: the whole file names missing files
            continue
        for m in REF_RE.finditer(line):
            ref = m.group(1)
            if not reference_exists(ref, path, files, basenames, tops):
                out.append("%s:%d: reference: '%s' is not a file of the repository"
                           % (path, i, ref))


def main(argv):
    if len(argv) > 1 and argv[1:] != ["--summary"]:
        print("usage: scripts/tidy.py [--summary]", file=sys.stderr)
        return 2
    root = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True,
                          check=True).stdout.decode().strip()
    os.chdir(root)
    files = tracked()
    fileset = set(files)
    basenames = {os.path.basename(f) for f in files}
    tops = {f.split("/", 1)[0] for f in files if "/" in f}
    out = []
    for path in files:
        if os.path.islink(path):
            # A tracked symlink points at a path on the machine that made it (a test
            # that ran twice once left scenarios/scenarios -> /work/...): never in git.
            out.append("%s:1: symlink: tracked symlinks are not allowed" % path)
            continue
        if not is_text(path):
            continue
        lines = read_lines(path)
        if path.endswith(C_ENDINGS):
            check_header(path, lines, out)
            check_columns(path, lines, out)
            check_functions(path, lines, out)
            check_layers(path, lines, out)
            check_sections(path, lines, out)
        check_references(path, lines, fileset, basenames, tops, out)
    for line in out:
        print(line)
    if argv[1:] == ["--summary"]:
        rules = {}
        for line in out:
            rule = line.split(": ", 2)[1] if ": " in line else "?"
            rules[rule] = rules.get(rule, 0) + 1
        print("tidy: %d violations %s" % (len(out), rules), file=sys.stderr)
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
