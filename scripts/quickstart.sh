#!/usr/bin/env bash
# The main job in one command: build release binaries, start a broker on free loopback ports
# with a temporary data directory, run a ~10 s load (one producer, one consumer, on a core of
# its own when the machine has two or more), print the latency table, write JSON, an
# HdrHistogram interval log and a plot, stop the broker and clean up.
#
# Usage: scripts/quickstart.sh [extra sluice-loadgen flags]
# Output: target/quickstart/result.{json,svg,hdr}. Exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/broker-process.sh

OUT_DIR="${OUT_DIR:-target/quickstart}"
TMP_DIR="$(mktemp -d -t sluice-quickstart.XXXXXX)"
cleanup() {
    local status=$?
    broker_stop || true
    rm -rf "$TMP_DIR"
    exit "$status"
}
trap cleanup EXIT INT TERM

echo "==> building release binaries (sluice-broker, sluice-loadgen)"
cargo build --release --locked -p sluice-broker -p sluice-loadgen

cpu_layout
echo "==> starting sluice-broker (${BROKER_SHARDS} shard(s), data in ${TMP_DIR})"
broker_cores=()
[[ -n "$BROKER_CORES" ]] && broker_cores=(--cores "$BROKER_CORES")
broker_start target/release/sluice-broker "$TMP_DIR/data" "$TMP_DIR/broker.log" \
    --shards "$BROKER_SHARDS" "${broker_cores[@]}"
echo "    listening on ${BROKER_ADDR}"

mkdir -p "$OUT_DIR"
cores_flag=()
[[ -n "$LOADGEN_CORES" ]] && cores_flag=(--cores "$LOADGEN_CORES")
echo "==> running sluice-loadgen for 10 s (+2 s warm-up): 1 producer, 1 consumer, 1 KiB messages${LOADGEN_CORES:+, on CPU $LOADGEN_CORES}"
target/release/sluice-loadgen --broker "$BROKER_ADDR" --topic quickstart \
    --producers 1 --consumers 1 --message-size 1024 --duration 10 --warmup 2 \
    "${cores_flag[@]}" \
    --json "$OUT_DIR/result.json" --hdr "$OUT_DIR/result.hdr" --plot "$OUT_DIR/result.svg" \
    "$@"

echo "==> stopping sluice-broker"
if ! broker_stop; then
    echo "sluice-broker did not shut down cleanly; its log:" >&2
    cat "$TMP_DIR/broker.log" >&2
    exit 1
fi
echo "==> results: $OUT_DIR/result.json, plot $OUT_DIR/result.svg, interval log $OUT_DIR/result.hdr"
