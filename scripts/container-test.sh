#!/usr/bin/env bash
# scripts/container-test.sh: builds the Dockerfile's image and runs a scenario in it:
# the image alone must run outbox-sim and outbox-ctl (nothing else installed).
#
# Uses docker, or podman (CONTAINER=docker|podman chooses).  The run is `docker run
# IMAGE run SCENARIO`; where the runtime cannot start containers (a sandbox without
# cgroups or rlimits: podman inside a container) it falls back to a derived build whose
# RUN step runs the same command inside the image (podman's chroot isolation), which
# still proves the image's own files suffice.  The image's base, debian:12-slim, must
# be pullable or already present (`podman import` of a debootstrap'd bookworm works
# offline).  Exit 0 when both the build and the run passed; prints "container-test: ok".
# Not part of `make test` (minutes, and a runtime): tests/system/dockerfile.sh runs it
# when OUTBOX_TEST_CONTAINER=1.
set -u
cd "$(dirname "$0")/.." || exit 3
rt=${CONTAINER:-}
if [ -z "$rt" ]; then
  for c in docker podman; do
    if command -v "$c" >/dev/null && "$c" info >/dev/null 2>&1; then rt=$c; break; fi
  done
fi
[ -n "$rt" ] || { echo "container-test: no working docker or podman" >&2; exit 2; }
img=${IMAGE:-outbox-lab:container-test}
iso=()
[ "$rt" = podman ] && iso=(--isolation=chroot)   # builds where crun cannot make cgroups
scen=/opt/outbox-lab/share/outbox-lab/scenarios/clean.lua
check='outbox-sim run '"$scen"' --seed 1 && outbox-ctl --db reports/runs/clean/1/payment.db stats'

echo "container-test: $rt build -t $img ."
"$rt" build "${iso[@]}" -t "$img" . || { echo "container-test: the build failed" >&2; exit 1; }
echo "container-test: $rt run --rm $img run $scen --seed 1"
if out=$("$rt" run --rm "$img" run "$scen" --seed 1 2>&1); then
  echo "$out" | tail -n 3
  "$rt" run --rm --entrypoint outbox-ctl "$img" --help >/dev/null || exit 1
else
  echo "$out" | tail -n 2 | sed 's/^/  /'
  echo "container-test: $rt cannot start a container here; running it in a build step instead"
  printf 'FROM %s\nRUN %s\n' "$img" "$check" \
    | "$rt" build "${iso[@]}" --pull=never -t "$img-run" -f - . || { echo "container-test: the run failed" >&2; exit 1; }
  "$rt" rmi "$img-run" >/dev/null 2>&1
fi
echo "container-test: ok ($rt, image $img)"
