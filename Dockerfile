# Dockerfile: outbox-sim and its services in a Debian 12 image, for another project's CI
# (docs/ci.md, "Without this checkout").  Two stages: the first builds with the source
# tree and `make install`s into /opt/outbox-lab; the second is debian:12-slim with the
# run-time libraries and that tree only, so the image runs outbox-sim with nothing else.
#
#   docker build -t outbox-lab .
#   docker run --rm -v "$PWD/reports:/work/reports" outbox-lab \
#       run /opt/outbox-lab/share/outbox-lab/scenarios/showcase.lua --seed 1
#
# The entry point is outbox-sim (run, sweep, matrix, shrink, explore); outbox-ctl is on
# the PATH too (`--entrypoint outbox-ctl`).  Runs write reports/ under /work.
# tests/system/dockerfile.sh checks this file without a container runtime;
# scripts/container-test.sh builds the image and runs a scenario in it with one.

FROM debian:12-slim AS build
# A compiler and make; `make` installs the rest of what it builds with (scripts/deps.sh,
# one list for this image, CI and a developer's machine).
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# `make deps` alone first: a parallel make would compile before the headers are there.
RUN make deps \
 && make -j"$(nproc)" all \
 && make install PREFIX=/opt/outbox-lab

FROM debian:12-slim
# The run-time libraries of the three binaries, and libfaketime (the simulator's virtual
# clocks).  tests/system/dockerfile.sh checks that they cover every library the
# binaries load.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsqlite3-0 libzmq5 liblua5.4-0 libjansson4 libfaketime \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/outbox-lab /opt/outbox-lab
ENV PATH=/opt/outbox-lab/bin:$PATH
WORKDIR /work
ENTRYPOINT ["outbox-sim"]
CMD ["--help"]
