# syntax=docker/dockerfile:1
# The zabsim binary in a small image, for sim/deploy/kubernetes-fuzz-job.yaml or any container
# runner:
#
#   docker build -t zabsim:latest .
#   docker run --rm zabsim:latest run --nodes 5 --seed 2
#
# The binary is self-contained: the chart font (reports/fonts/, include_bytes!) and the
# default sweep grid (scenarios/sweeps/default.json, include_str!) are compiled in, and it
# links only glibc and libgcc_s. Everything else it reads (scenario files, grids, summaries,
# traces) is named on its command line, so the runtime stage holds the binary alone.

ARG RUST_IMAGE=rust:1-slim-trixie
ARG RUNTIME_IMAGE=debian:trixie-slim

FROM ${RUST_IMAGE} AS builder
WORKDIR /src
COPY . .
# The cache mounts keep the crate registry and target/ between builds; a cache mount is not
# part of the image, so the binary is copied out of it in the same step. Debug info (the
# release profile keeps some for profiling) is stripped from the shipped binary.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    CARGO_PROFILE_RELEASE_STRIP=debuginfo cargo build --release --locked -p zabsim-sim --bin zabsim \
    && install -m 0755 target/release/zabsim /usr/local/bin/zabsim

FROM ${RUNTIME_IMAGE}
# A fixed non-root uid/gid, so a Kubernetes securityContext can name it (fsGroup 10001 makes a
# mounted output volume writable). /work is its home and the working directory, where a bare
# `zabsim` writes zabsim-out/.
RUN groupadd --system --gid 10001 zabsim \
    && useradd --system --uid 10001 --gid zabsim --home-dir /work --create-home --shell /usr/sbin/nologin zabsim
COPY --from=builder /usr/local/bin/zabsim /usr/local/bin/zabsim
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/zabsim"]
