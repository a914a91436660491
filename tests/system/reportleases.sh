#!/usr/bin/env bash
# tests/system/reportleases.sh: report.html's "who held which row when" (sim/report/
# htmllease.h, share/report/leases.js), only for runs with relays.
#
# Three relay scenarios, each against what the checker judged from the same trace:
# relays-no-lease (two relays claim the same rows: every overlap the view draws is a
# lease_exclusive break, as many as the checker counts, listed with the text of both
# claim lines), relays-lease (leases work: no overlap, every row's holds drawn) and
# relays-zombie (a paused relay publishes after its lease: one hollow diamond per
# lease_held break).  A run without relays (showcase) has neither the data nor the
# view.  Debian's chromium renders each page headless (every host unresolvable): no
# console message, no request, no part that failed, and a screenshot (REPORT_SHOTS=DIR
# keeps them).
source "$(dirname "$0")/lib.bash"

RUNS="$OUT/runs"
for sc in relays-no-lease relays-lease relays-zombie showcase; do
  sim run "scenarios/$sc.lua" --seed 1 --out "$RUNS" --quiet
  check "$sc seed 1 meets its expectations (exit 0)" [ $? = 0 ]
done

# json_of SCENARIO EXPR: EXPR (Python, over d = window.RUN, s = summary.json) printed.
json_of() {
  python3 - "$RUNS/$1/1" "$2" <<'EOF'
import json, re, sys
run, expr = sys.argv[1], sys.argv[2]
html = open(run + "/report.html").read()
d = json.loads(re.search(r"window\.RUN = (.*?);</script>", html, re.S).group(1))
s = json.load(open(run + "/summary.json"))
print(eval(expr))
EOF
}
inv() { json_of "$1" "s['invariants']['$2']['count']"; }

# ---- the page's data ---------------------------------------------------------------------

NL=relays-no-lease
check "$NL: the page carries the leases of both relays" \
  grep -q '"leases":{"relays":\["relay-1","relay-2"\]' "$RUNS/$NL/1/report.html"
ov=$(json_of $NL "d['leases']['overlaps_total']")
check "$NL: overlaps found ($ov), as many as lease_exclusive breaks ($(inv $NL lease_exclusive))" \
  bash -c "[ '$ov' -gt 0 ] && [ '$ov' = '$(inv $NL lease_exclusive)' ]"
# The first overlap: both claim lines are claims of its row, by the two relays, and the
# page quotes them as the trace has them.
read -r pay la lb <<<"$(json_of $NL "' '.join(map(str, [d['leases']['overlaps'][0]['pay'], d['leases']['overlaps'][0]['a'][4], d['leases']['overlaps'][0]['b'][4]]))")"
T=$RUNS/$NL/1/trace.jsonl
check "$NL: the overlap's first claim (line $la) is relay-1's claim of payment $pay" \
  bash -c "sed -n '${la}p' '$T' | grep -q '\"node\":\"relay-1\",\"kind\":\"claim\",\"pay\":$pay,'"
check "$NL: ... the second (line $lb) relay-2's, of the same row" \
  bash -c "sed -n '${lb}p' '$T' | grep -q '\"node\":\"relay-2\",\"kind\":\"claim\",\"pay\":$pay,'"
qa=$(json_of $NL "d['leases']['lines']['$la']") qb=$(json_of $NL "d['leases']['lines']['$lb']")
check "$NL: ... and the page quotes both lines as the trace has them" \
  [ "$qa" = "$(sed -n "${la}p" "$T")" -a "$qb" = "$(sed -n "${lb}p" "$T")" ]
rows=$(json_of $NL "d['leases']['rows_held']")
check "$NL: one row per row a relay claimed ($rows)" \
  test "$rows" = "$(grep '"kind":"claim"' "$T" | grep -o '"pay":[0-9]*' | sort -u | wc -l)"

LS=relays-lease
check "$LS: leases that work: no overlap" test "$(json_of $LS "d['leases']['overlaps_total']")" = 0
check "$LS: ... and no publication outside a lease" \
  test "$(json_of $LS "sum(p[4] for r in d['leases']['rows'] for p in r['pubs'])")" = 0
check "$LS: every hold of a lease is drawn (one per claim line)" \
  test "$(json_of $LS "sum(len(r['holds']) for r in d['leases']['rows'])")" = \
       "$(grep -c '"kind":"claim"' "$RUNS/$LS/1/trace.jsonl")"

ZB=relays-zombie
out=$(json_of $ZB "sum(p[4] for r in d['leases']['rows'] for p in r['pubs'])")
check "$ZB: publications outside the publisher's lease ($out), one per lease_held break ($(inv $ZB lease_held))" \
  bash -c "[ '$out' -gt 0 ] && [ '$out' = '$(inv $ZB lease_held)' ]"

check "showcase (no relays): no leases in the page's data" \
  bash -c "! grep -q '\"leases\":' '$RUNS/showcase/1/report.html'"
check "showcase: ... nor the view's script" \
  bash -c "! grep -q 'Who held which row when' '$RUNS/showcase/1/report.html'"

# ---- rendered --------------------------------------------------------------------------------

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
browse() {   # browse FILE OUTPREFIX dump|shot (as report.sh)
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
page_clean() {
  local prefix=$1 bad
  bad=$(grep 'CONSOLE' "$prefix.err" | head -n 3)
  [ -z "$bad" ] || { echo "# console: $bad"; return 1; }
  bad=$(grep '"network_isolation_key":"file:' "$prefix.net" 2>/dev/null | grep -o '"url":"[^"]*"' | grep -v '"url":"file:' | head -n 3)
  [ -z "$bad" ] || { echo "# the page fetched: $bad"; return 1; }
  return 0
}
count() { grep -o "$1" "$2" | wc -l; }

if [ -z "$CHROMIUM" ]; then
  notok "chromium missing (apt-get install chromium, as root)"
else
  for sc in $NL $LS $ZB showcase; do
    browse "$RUNS/$sc/1/report.html" "$OUT/$sc" dump
    check "$sc: chromium loads it without a console message or a network request" page_clean "$OUT/$sc"
    check "$sc: every part drew itself" \
      bash -c "grep -q 'data-ready=\"1\"' '$OUT/$sc.dom' && ! grep -q 'class=\"err\"' '$OUT/$sc.dom'"
    browse "$RUNS/$sc/1/report.html" "$OUT/$sc" shot
    if [ -n "${REPORT_SHOTS:-}" ]; then mkdir -p "$REPORT_SHOTS" && cp "$OUT/$sc.png" "$REPORT_SHOTS/"; fi
  done
  D=$OUT/$NL.dom
  check "$NL: the view is drawn, with its link in the menu" \
    bash -c "grep -q '<section id=\"leases\"><h2>Who held which row when</h2>' '$D' && grep -q 'href=\"#leases\"' '$D'"
  drawn=$(json_of $NL "min(len(d['leases']['rows']), 60)")
  check "$NL: a band per row, the first 60 drawn ($drawn)" test "$(count 'id="lease-[0-9]*"' "$D")" = "$drawn"
  check "$NL: the overlaps are red bands on the chart" test "$(count 'class="lease-overlap"' "$D")" -gt 0
  check "$NL: ... and listed with relay-1's claim line quoted" \
    grep -q "<pre>$la: {\"t\":[0-9.]*,\"ev\":\"note\",\"node\":\"relay-1\",\"kind\":\"claim\",\"pay\":$pay," "$D"
  check "$LS: the view is drawn without a red band" \
    bash -c "grep -q 'id=\"leases\"' '$OUT/$LS.dom' && ! grep -q 'class=\"lease-overlap\"' '$OUT/$LS.dom'"
  zd=$(json_of $ZB "sum(p[4] for r in d['leases']['rows'][:60] for p in r['pubs'])")
  check "$ZB: a hollow diamond for each publication outside its lease ($zd)" \
    test "$(count 'class="lease-outside"' "$OUT/$ZB.dom")" = "$zd"
  check "showcase: no lease view in the page" bash -c "! grep -q 'id=\"leases\"' '$OUT/showcase.dom'"
fi
check "no leftovers" leftovers "$RUNS"
