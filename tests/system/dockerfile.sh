#!/usr/bin/env bash
# tests/system/dockerfile.sh: the Dockerfile, checked without a container runtime (and
# built and run in one with OUTBOX_TEST_CONTAINER=1, by scripts/container-test.sh):
#   - both stages are Debian 12 (debian:12-slim);
#   - the build stage's make targets exist, and its install into /opt/outbox-lab is the
#     tree the second stage copies and puts on the PATH, with the entry point in it;
#   - the runtime stage's packages exist in Debian 12 and provide every shared library
#     the installed binaries load (or Debian's required base does), and libfaketime;
#   - the .dockerignore keeps host builds out of the image's build;
#   - hadolint, when it is installed (Debian 12 does not package it).
source "$(dirname "$0")/lib.bash"

D=Dockerfile
[ -f "$D" ] || { notok "$D is missing"; exit 0; }
check "both stages are Debian 12" test "$(grep -c '^FROM debian:12-slim' "$D")" -eq 2
check "the build stage installs into /opt/outbox-lab" grep -q 'make install PREFIX=/opt/outbox-lab$' "$D"
check "the runtime stage copies that tree" grep -q '^COPY --from=build /opt/outbox-lab /opt/outbox-lab$' "$D"
check "... and puts its bin/ on the PATH" grep -q '^ENV PATH=/opt/outbox-lab/bin:\$PATH$' "$D"
check "the entry point is outbox-sim" grep -q '^ENTRYPOINT \["outbox-sim"\]$' "$D"
# Every make target the Dockerfile runs exists (make -n: a missing rule exits 2).
targets=$(grep -E '^(RUN| &&) ' "$D" | grep -oE 'make( -j"[^"]*")? [a-z]+' | awk '{print $NF}' | sort -u | tr '\n' ' ')
targets_exist() { make -n "$@" PREFIX="$OUT/n" >/dev/null 2>&1; }
# shellcheck disable=SC2086
check "its make targets exist ($targets)" targets_exist $targets

# The install the build stage does, into a scratch prefix with the same layout.
P=$OUT/opt/outbox-lab
if [ "${OUTBOX_BIN:-bin}" = bin ]; then
  make --no-print-directory -s install PREFIX="$P" >"$OUT/install.out" 2>&1
  check "the build stage's make install, in a scratch prefix" test $? -eq 0
else
  skip "the build stage's make install: skipped for OUTBOX_BIN=$OUTBOX_BIN"
  mkdir -p "$P/bin" && cp "$OUTBOX_BIN"/outbox-{sim,node,ctl} "$P/bin/"
fi
check "the entry point is there" test -x "$P/bin/outbox-sim"
cmd=$(grep -o '/opt/outbox-lab/share/[^ ]*\.lua' "$D" | head -n 1)
if [ "${OUTBOX_BIN:-bin}" = bin ]; then
  check "the scenario its header runs is in the installed tree ($cmd)" test -f "$OUT${cmd}"
else
  skip "the scenario its header runs is in the installed tree: skipped with no install"
fi

# The runtime stage's packages: real Debian 12 packages, and between them and Debian's
# required base every library the binaries load.
pkgs=$(sed -n 's/.*apt-get install -y --no-install-recommends \(lib.*\) \\$/\1/p' "$D" | tail -n 1)
check "the runtime stage names its packages ($pkgs)" test -n "$pkgs"
check "... libfaketime among them (the virtual clocks)" grep -qw libfaketime <<<"$pkgs"
missing=""
for p in $pkgs; do apt-cache show "$p" >/dev/null 2>&1 || missing="$missing $p"; done
check "... each a Debian package${missing:+ (not:$missing)}" test -z "$missing"
# shellcheck disable=SC2086
apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances $pkgs 2>/dev/null | sed -n 's/^\([a-z0-9][^ ]*\)$/\1/p' >"$OUT/closure"
dpkg-query -W -f='${Package} ${Priority} ${Essential}\n' | awk '$2 == "required" || $3 == "yes" { print $1 }' >>"$OUT/closure"
sort -u -o "$OUT/closure" "$OUT/closure"
uncovered=""
for lib in $(ldd "$P"/bin/outbox-* | awk '/=> \// { print $3 }' | sort -u); do
  pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null)
  pkg=${pkg%%:*}
  grep -qx "$pkg" "$OUT/closure" || uncovered="$uncovered $lib($pkg)"
done
if [ "${OUTBOX_BIN:-bin}" = bin ]; then
  check "the runtime packages provide every library the binaries load${uncovered:+ (not:$uncovered)}" \
    test -z "$uncovered"
else   # a sanitizer build loads libasan and libubsan, which no image ships
  skip "the runtime packages provide every library: skipped for OUTBOX_BIN=$OUTBOX_BIN"
fi

check ".dockerignore keeps host builds out" grep -qx 'bin/' .dockerignore
check "... and the build directory" grep -qx 'build/' .dockerignore
if command -v hadolint >/dev/null; then
  check "hadolint finds nothing" hadolint "$D"
fi
if [ "${OUTBOX_TEST_CONTAINER:-}" = 1 ]; then
  timeout -k 5 1800 scripts/container-test.sh >"$OUT/ct.out" 2>&1
  check "scripts/container-test.sh: the image builds and runs a scenario" test $? -eq 0
  tail -n 5 "$OUT/ct.out" | sed 's/^/# /'
fi
