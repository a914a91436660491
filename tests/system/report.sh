#!/usr/bin/env bash
# tests/system/report.sh: report.html, matrix.html and --narrate.
#
# For a passing run (showcase) and a failing one (pay-queue-loss with design direct):
# report.html exists beside the trace, is one self-contained file (no external script,
# style, font or image: every http(s):// in it is a namespace or a licence comment),
# carries the verdict and the sequence chart's code, is the same bytes for the same
# seed, and stays small.  Then Debian's chromium renders it headless, with every host
# name resolving to nothing: no script error on the console, no request from the page
# to the network, the chart's SVG and the plots in the DOM, the failing run's breaking
# step ringed on the chart and its cause in the verdict, and a screenshot.
# matrix.html is built from a matrix.json by html_matrix() (a small driver linked with
# build/libsim.a) and must link each cell to its run's report.html.
# --narrate must tell the run on stderr, without colour when piped, and leave the trace
# byte-identical.
#
# Chromium: installed with apt-get when missing and run as root (about 25 s on the CI
# machine); otherwise "not ok - chromium missing".  REPORT_SHOTS=DIR keeps the
# screenshots there, to look at.
source "$(dirname "$0")/lib.bash"

RUNS="$OUT/runs"

# run_scenario FILE SEED [ARGS...]: runs and returns the exit code in $rc.
run_scenario() {
  local file=$1 seed=$2; shift 2
  sim run "$file" --seed "$seed" --out "$RUNS" --quiet "$@"
  rc=$?
}

# self_contained FILE: no reference that a browser would fetch.
self_contained() {
  local f=$1 bad
  bad=$(grep -oiE '(src|href|action|poster|data)=["'"'"']?[a-z]*:?//[^"'"'"' >]*' "$f" | grep -v '^href=["'"'"']\?#' | head -n 3)
  [ -z "$bad" ] || { echo "# external reference: $bad"; return 1; }
  bad=$(grep -oiE '(@import|url\(["'"'"']?(https?:)?//)[^)]*' "$f" | head -n 3)
  [ -z "$bad" ] || { echo "# external style reference: $bad"; return 1; }
  grep -qiE '<(link|iframe|embed|object)[ >]|<script[^>]+src=' "$f" && { echo "# an element that loads another file"; return 1; }
  bad=$(grep -oE 'https?://[^"'"'"' )<>]*' "$f" | sort -u | grep -vxE 'http://www\.w3\.org/2000/svg|https://github\.com/leeoniya/uPlot' | head -n 3)
  [ -z "$bad" ] || { echo "# unexpected URL in the page: $bad"; return 1; }
  return 0
}

# ---- reports for a passing and a failing run --------------------------------------

run_scenario scenarios/showcase.lua 1
check "showcase seed 1 passes (exit 0)" [ "$rc" = 0 ]
PASS_HTML="$RUNS/showcase/1/report.html"
run_scenario scenarios/pay-queue-loss.lua 42 --design direct
check "pay-queue-loss with design direct fails (exit 1)" [ "$rc" = 1 ]
FAIL_HTML="$RUNS/pay-queue-loss/42/report.html"

for f in "$PASS_HTML" "$FAIL_HTML"; do
  name=${f#"$RUNS/"}
  check "$name exists beside trace.jsonl" [ -s "$f" -a -s "$(dirname "$f")/trace.jsonl" ]
  check "$name is self-contained (no external scripts, styles, fonts or images)" self_contained "$f"
  check "$name is under 2 MB" [ "$(stat -c %s "$f")" -lt 2000000 ]
  check "$name carries the run's data and the sequence chart" grep -q 'window.RUN = {"meta":' "$f"
  grep -q 'id: *"seqchart"\|id: "seqchart"' "$f" || notok "$name: the chart's code is missing"
done
check "the passing report says pass" grep -q '"verdict":"pass"' "$PASS_HTML"
check "the failing report says fail and names eventual_consistency" \
  grep -q '"verdict":"fail","why":"eventual_consistency broken' "$FAIL_HTML"
check "the failing report cites the trace lines behind a violation" grep -q '"trace_lines":\[[0-9]' "$FAIL_HTML"
check "the failing report carries the text of each cited line" grep -q '"cited":{"[0-9]*":"{\\"t\\":' "$FAIL_HTML"
check "the failing report follows the payments the broken invariant names" \
  grep -q '"how":"the payments the broken invariants name"' "$FAIL_HTML"

cp "$PASS_HTML" "$OUT/first.html"
run_scenario scenarios/showcase.lua 1
check "the same seed writes the same report.html, byte for byte" cmp -s "$OUT/first.html" "$PASS_HTML"

OUTBOX_FOLLOW=77,9 run_scenario scenarios/showcase.lua 1
check "OUTBOX_FOLLOW=77,9 makes the chart follow payments 77 and 9" \
  grep -q '"pays":\[\[77,"named with --follow"\],\[9,"named with --follow"\]\]' "$PASS_HTML"
cp "$OUT/first.html" "$PASS_HTML"

# ---- the matrix page -----------------------------------------------------------------

MATRIX_HTML="$OUT/reports/matrix.html"
mkdir -p "$OUT/reports"
cat >"$OUT/matrix.json" <<EOF
{"designs": ["outbox", "direct"], "scenarios": ["showcase", "pay-queue-loss"],
 "cells": [
  {"design": "outbox", "scenario": "showcase", "result": "pass", "seed": 1,
   "command": "bin/outbox-sim run scenarios/showcase.lua --seed 1", "run_dir": "$RUNS/showcase/1"},
  {"design": "direct", "scenario": "pay-queue-loss", "result": "eventual_consistency", "seed": 42,
   "command": "bin/outbox-sim run scenarios/pay-queue-loss.lua --seed 42 --design direct", "run_dir": "runs/pay-queue-loss/42"},
  {"design": "direct", "scenario": "showcase", "result": "error", "seed": 1, "command": "x </script><b>", "run_dir": ""}
 ]}
EOF
driver_ok=0
# Against the build under test (build/, or build-asan/ with the sanitizers linked in).
LIBS=${BUILD:-build}
SAN=""
case "$LIBS" in *asan*) SAN="-fsanitize=address,undefined" ;; esac
if [ -f "$LIBS/libsim.a" ] && command -v pkg-config >/dev/null; then
  cat >"$OUT/mx.c" <<'EOF'
#include <stdio.h>
#include "html.h"
int main(int argc, char **argv) {
    char err[1024];
    if (argc != 3) return 2;
    if (html_matrix(argv[1], argv[2], err, sizeof err) != 0) { fprintf(stderr, "%s\n", err); return 1; }
    return 0;
}
EOF
  # shellcheck disable=SC2046
  if cc -std=c11 $SAN -Isim/report -o "$OUT/mx" "$OUT/mx.c" "$LIBS/libsim.a" "$LIBS/libproto.a" "$LIBS/liboutbox.a" \
      $(pkg-config --libs sqlite3 libzmq lua5.4 jansson) -lm 2>"$OUT/mx.err"; then driver_ok=1; fi
fi
if [ $driver_ok = 1 ]; then
  (cd "$OUT" && ./mx matrix.json reports/matrix.html) 2>"$OUT/mx.err"
  check "html_matrix writes matrix.html" [ -s "$MATRIX_HTML" ]
  check "matrix.html is self-contained" self_contained "$MATRIX_HTML"
  check "matrix.html escapes a '</script>' inside the data" bash -c "! grep -q 'x </script>' '$MATRIX_HTML'"
  (cd "$OUT" && ./mx nosuch.json reports/m2.html) >"$OUT/mx.out" 2>&1
  check "html_matrix on a missing file exits 1 and says why" grep -q "cannot read nosuch.json" "$OUT/mx.out"
else
  notok "cannot build the html_matrix driver against $LIBS/libsim.a: $(head -c 300 "$OUT/mx.err" 2>/dev/null)"
fi

# ---- headless chromium -----------------------------------------------------------------

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "# chromium missing: apt-get install -y chromium (about 25 s)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >"$OUT/apt.log" 2>&1 ||
    { apt-get update -qq >>"$OUT/apt.log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >>"$OUT/apt.log" 2>&1; }
  CHROMIUM=$(command -v chromium || true)
fi

# browse FILE OUTPREFIX MODE: renders file with every host unresolvable; MODE is
# dump (DOM to OUTPREFIX.dom) or shot (OUTPREFIX.png).  Console and network logs go to
# OUTPREFIX.err and OUTPREFIX.net.
browse() {
  local file=$1 prefix=$2 mode=$3 ud
  ud=$(mktemp -d "$OUT/chrome.XXXXXX")
  local args=(--headless --no-sandbox --disable-gpu --disable-background-networking
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$ud"
    --enable-logging=stderr --v=0 --host-resolver-rules="MAP * ~NOTFOUND"
    --log-net-log="$prefix.net" --window-size=1400,2000)
  if [ "$mode" = dump ]; then
    timeout -k 5 90 "$CHROMIUM" "${args[@]}" --dump-dom "file://$file" >"$prefix.dom" 2>"$prefix.err"
  else
    timeout -k 5 90 "$CHROMIUM" "${args[@]}" --screenshot="$prefix.png" "file://$file" >/dev/null 2>"$prefix.err"
  fi
  local rc=$?
  rm -rf "$ud"
  return $rc
}

# page_clean PREFIX: no console message, no request from the page (file://) to a host.
page_clean() {
  local prefix=$1 bad
  bad=$(grep 'CONSOLE' "$prefix.err" | head -n 3)
  [ -z "$bad" ] || { echo "# console: $bad"; return 1; }
  bad=$(grep '"network_isolation_key":"file:' "$prefix.net" 2>/dev/null | grep -o '"url":"[^"]*"' | grep -v '"url":"file:' | head -n 3)
  [ -z "$bad" ] || { echo "# the page fetched: $bad"; return 1; }
  return 0
}

if [ -z "$CHROMIUM" ]; then
  notok "chromium missing (apt-get install chromium, as root)"
else
  for f in "$PASS_HTML" "$FAIL_HTML"; do
    name=${f#"$RUNS/"}; pre="$OUT/$(echo "$name" | tr '/' '_')"
    browse "$f" "$pre" dump
    check "$name: chromium loads it without a console message or a network request" page_clean "$pre"
    check "$name: the sequence chart's SVG is in the DOM" grep -q '<svg[^>]*id="seqchart"' "$pre.dom"
    check "$name: the chart has arrows" bash -c "[ \$(grep -o 'class=\"arrow\"' '$pre.dom' | wc -l) -ge 10 ]"
    check "$name: the five plots are drawn" bash -c "[ \$(grep -o 'class=\"uplot' '$pre.dom' | wc -l) -ge 5 ]"
    check "$name: every part drew itself" bash -c "grep -q 'data-ready=\"1\"' '$pre.dom' && ! grep -q 'class=\"err\"' '$pre.dom'"
    browse "$f" "$pre" shot
    check "$name: a screenshot is taken" [ -s "$pre.png" ]
    if [ -n "${REPORT_SHOTS:-}" ]; then mkdir -p "$REPORT_SHOTS" && cp "$pre.png" "$REPORT_SHOTS/"; fi
  done
  # Disk errors, failed STARTs and pauses (sim/core/diskf.h) have marks of their own:
  # which node, which call, which fault, when; a pause is a band.
  for sc in disk-start-payment pause-past-visibility; do
    $SIM run "scenarios/$sc.lua" --seed 1 --out "$RUNS" --quiet >/dev/null 2>&1
    f=$RUNS/$sc/1/report.html pre=$OUT/$sc
    browse "$f" "$pre" dump
    check "$sc: chromium loads it without a console message or a network request" page_clean "$pre"
    check "$sc: every part drew itself" \
      bash -c "grep -q 'data-ready=\"1\"' '$pre.dom' && ! grep -q 'class=\"err\"' '$pre.dom'"
    browse "$f" "$pre" shot
    if [ -n "${REPORT_SHOTS:-}" ]; then mkdir -p "$REPORT_SHOTS" && cp "$pre.png" "$REPORT_SHOTS/"; fi
  done
  T=$RUNS/disk-start-payment/1/trace.jsonl D=$OUT/disk-start-payment.dom
  check "disk: every disk_fault line is in the page's data" \
    test "$(grep -cE '^\[[0-9.]+,[0-3],[0-9]+,"(read|write|sync)","(eio|full|fsync_fail)"\]' \
            "$RUNS/disk-start-payment/1/report.html")" -eq "$(grep -c '"ev":"disk_fault"' "$T")"
  check "disk: the chart marks each failed call with its node, call and fault" \
    grep -q '⚠ payment disk: eio on read (fault 10)' "$D"
  check "disk: the chart marks a failed START, and says the service exits 3" \
    grep -q '✕ payment START failed, exits 3: cannot open payment.db: count SENDING rows' "$D"
  check "disk: the plots list every failed call (node, call, fault)" \
    bash -c "grep -q 'id=\"disk-list\"' '$D' && grep -q '6 disk calls failed, 0 pauses' '$D' &&
             grep -q '<td>accounting</td><td>disk error</td><td>eio on write</td><td>2</td>' '$D'"
  D=$OUT/pause-past-visibility.dom
  check "pause: the chart marks the pause and the resume on accounting's lane" \
    bash -c "grep -q '‖ accounting PAUSED (SIGSTOP) until 11.000 s' '$D' &&
             grep -q '▶ accounting resumes: [0-9]* events waited' '$D'"
  check "pause: the paused interval is a band in the chart (striped lane)" grep -q 'fill="url(#paused)"' "$D"
  check "pause: the plots list it, 3 s to 11 s" \
    grep -q '<td>3.000</td><td>accounting</td><td>paused</td><td>until 11.000 s (8.000 s)</td>' "$D"
  grep -q 'class="badge fail">FAIL<' "$OUT/pay-queue-loss_42_report.html.dom"
  check "the failing report shows FAIL first" [ $? = 0 ]
  # The meanings come from the page's data (sim/util/invariant.h), not from report.js.
  check "the verdict cards say what each invariant means" \
    grep -q 'class="means">every paid payment has exactly one voucher' "$OUT/pay-queue-loss_42_report.html.dom"
  check "a broken invariant's card says what went wrong" \
    grep -q 'class="explain">Usually: Money left the payer but accounting never booked it' "$OUT/pay-queue-loss_42_report.html.dom"
  # The step that broke it (sim/report/cause.h) is ringed on the chart, on its trace line.
  check "the failing report marks the breaking step on the chart" \
    grep -q '<g class="breaks" data-line="[0-9]*"><title>⚠ breaks eventual_consistency' "$OUT/pay-queue-loss_42_report.html.dom"
  check "a violation says what happened in this run" \
    grep -q 'class="cause"><b>what happened: </b>the PUBLISH PAYMENT frame of message [0-9]* was lost on the wire' "$OUT/pay-queue-loss_42_report.html.dom"
  check "the passing report marks nothing" bash -c "! grep -q 'class=\"breaks\"' '$OUT/showcase_1_report.html.dom'"
  if [ -s "$MATRIX_HTML" ]; then
    browse "$MATRIX_HTML" "$OUT/matrix" dump
    check "matrix.html loads without a console message or a network request" page_clean "$OUT/matrix"
    check "matrix.html links a cell to its run's report (absolute run_dir)" \
      grep -q "href=\"file://$RUNS/showcase/1/report.html\"" "$OUT/matrix.dom"
    check "matrix.html links a cell to its run's report (relative run_dir)" \
      grep -q 'href="../runs/pay-queue-loss/42/report.html"' "$OUT/matrix.dom"
  fi
fi

# ---- --narrate ------------------------------------------------------------------------------

cp "$RUNS/showcase/1/trace.jsonl" "$OUT/plain.jsonl"
timeout -k 5 300 "$SIM" run scenarios/showcase.lua --seed 1 --out "$RUNS" --quiet --narrate >"$OUT/narr.out" 2>"$OUT/narr.err"
check "--narrate exits 0 on showcase" [ $? = 0 ]
check "--narrate leaves the trace byte-identical" cmp -s "$OUT/plain.jsonl" "$RUNS/showcase/1/trace.jsonl"
check "--narrate tells commits, losses, the scan, crashes, restarts, healing and convergence" bash -c "
  grep -q 'payment 1 committed with its outbox row' '$OUT/narr.err' &&
  grep -q 'PUBLISH PAYMENT frame for [0-9]* lost on the way to broker (fault 1' '$OUT/narr.err' &&
  grep -q 'scan found [0-9]* due, attempt 2' '$OUT/narr.err' &&
  grep -q 'payment CRASHES: SIGKILL at payment.after_commit' '$OUT/narr.err' &&
  grep -q 'payment restarts on the same database' '$OUT/narr.err' &&
  grep -q 'HEAL' '$OUT/narr.err' && grep -q 'CONVERGED' '$OUT/narr.err'"
check "--narrate summarises busy seconds (\"... N more events in this second\")" \
  grep -q '\.\.\. [0-9]* more events\? in this second' "$OUT/narr.err"
check "--narrate stays short: under 400 lines for 150 payments" [ "$(wc -l <"$OUT/narr.err")" -lt 400 ]
check "--narrate writes no colour when piped" bash -c "! grep -q \$'\\033' '$OUT/narr.err'"
if command -v script >/dev/null; then
  # script(1) gives the simulator a terminal; its output is the terminal's.
  script -qec "$SIM run scenarios/clean.lua --seed 1 --out '$RUNS' --quiet --narrate" /dev/null >"$OUT/tty.out" 2>&1
  check "--narrate colours a terminal" grep -q $'\033\\[3' "$OUT/tty.out"
  NO_COLOR=1 script -qec "$SIM run scenarios/clean.lua --seed 1 --out '$RUNS' --quiet --narrate" /dev/null >"$OUT/tty2.out" 2>&1
  check "--narrate writes no colour on a terminal when NO_COLOR is set" bash -c "grep -q 'committed' '$OUT/tty2.out' && ! grep -q \$'\\033' '$OUT/tty2.out'"
fi
check "no leftovers" leftovers "$RUNS"
