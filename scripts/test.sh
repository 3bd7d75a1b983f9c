#!/usr/bin/env bash
# Runs every test of the workspace: unit, property, integration (real binaries on 127.0.0.1),
# fuzz-corpus replays and doc tests. Needs only the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tests start real brokers; keep their logs quiet unless a caller asks for more.
export RUST_LOG="${RUST_LOG:-warn}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"

# Every target but the benchmarks: those are measurements (perf/), not tests, and some run
# for minutes. CI's clippy step still compiles them.
cargo test --workspace --lib --bins --tests --examples --locked
cargo test --workspace --doc --locked
