#!/usr/bin/env bash
# tests/system/livescript.sh: `make live` (scripts/live.sh) on a terminal, driven by tmux
# as a presenter would: a daemon killed from another terminal (kill -9 PID, as
# docs/live.md teaches) is noticed and shown DOWN, bash prints no "Killed" notice into
# the display, the role's key restarts it (it does not "crash" the dead pid), and q
# stops everything the script started.
source "$(dirname "$0")/lib.bash"

if ! command -v tmux >/dev/null; then ok "tmux is not installed: the terminal test is skipped"; exit 0; fi
bindir=${OUTBOX_BIN:-bin}
case "$bindir" in /*) ;; *) bindir="$PWD/$bindir" ;; esac
dir=$OUT/live
sock=$OUT/tmux.sock
port=$((20000 + ($$ % 2000) * 4))
tm() { tmux -S "$sock" "$@"; }
screen() { tm capture-pane -p -J -S -500 -t live 2>/dev/null; }
# until SECONDS_MAX PATTERN: waits for the screen to show an extended regex.  The bounds
# are generous: they only keep a broken script from hanging the suite, and a loaded
# machine (make test beside other work) must not fail a correct one.
until_shown() {
  local n=0
  while [ $n -lt $(($1 * 10)) ]; do
    screen | grep -Eq -- "$2" && return 0
    sleep 0.1; n=$((n + 1))
  done
  return 1
}
trap 'tm kill-server 2>/dev/null; rm -rf "$OUT"' EXIT

# `make live`, as docs/live.md shows it (scripts/live.sh directly when the binaries
# under test are not bin/: make would look at bin/).
cmd="make --no-print-directory -s live"
[ "$bindir" = "$PWD/bin" ] || cmd=scripts/live.sh
tm new-session -d -s live -x 220 -y 60 \
  "cd '$PWD' && LIVE_DIR='$dir' LIVE_PORT=$port OUTBOX_BIN='$bindir' $cmd; echo LIVE-EXIT \$?; sleep 60"
check "live starts its three daemons and shows its keys" until_shown 120 '^keys: a = crash/restart accounting'
apid=$(screen | sed -n 's/^  accounting pid \([0-9]*\): .*/\1/p' | head -n1)
check "it prints accounting's pid ($apid)" test -n "$apid"
check "the stats line shows accounting up" until_shown 40 'vouchers [0-9?]+ \| oldest SENDING .*\| broker accounting payment$'

# Another terminal kills accounting.
kill -9 "$apid"
check "the kill from outside is noticed (the script polls every second)" \
  until_shown 20 "^live: accounting \(pid $apid\) is gone: killed or crashed outside this script"
check "the stats line then shows accounting DOWN" until_shown 32 '\| broker accounting:DOWN payment$'
check "bash's 'Killed' job notice does not land in the display" sh -c "! tmux -S '$sock' capture-pane -p -J -S -500 -t live | grep -q Killed"

# The presenter presses a: accounting restarts; the dead pid is not "crashed" again.
tm send-keys -t live a
check "the key restarts accounting" until_shown 60 '^live: accounting is back, pid [0-9]+'
check "... without a kill -9 of the dead pid" sh -c "! tmux -S '$sock' capture-pane -p -J -S -500 -t live | grep -q 'kill -9 $apid '"
newpid=$(screen | sed -n 's/^live: accounting is back, pid \([0-9]*\).*/\1/p' | tail -n1)
check "the stats line shows it up again" until_shown 32 '\| broker accounting payment$'

# And its key crashes the new one, as before.
tm send-keys -t live a
check "the key crashes the live accounting" until_shown 40 "^live: kill -9 $newpid +# accounting crashes"

tm send-keys -t live q
check "q stops live, exit 0" until_shown 80 '^LIVE-EXIT 0$'
check "it says it stopped everything" until_shown 20 '^live: stopped everything it started'
# pgrep in this shell: a `sh -c "pgrep ..."` would match its own command line.
no_daemons() { ! pgrep -f "outbox-node.*--db $dir/" >/dev/null; }
check "no daemon of it is left" no_daemons
