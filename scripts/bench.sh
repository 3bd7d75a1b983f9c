#!/usr/bin/env bash
# Reproduces the benchmark matrix in perf/README.md and records it under perf/results/<date>/:
#   message sizes 100 B, 1 KiB, 16 KiB  x  flush always, never (acks leader)  x  1, 8 partitions;
#   each: closed loop (peak) then open loop at 25 / 50 / 75 % of that peak, one producer and one
#   consumer (end-to-end latency); plus small batches (1 message per send, 1 in flight, 1 outstanding);
#   plus the machine's own limits (scripts/measure-limits.sh: fio, iperf3, TCP round trip).
# The broker runs one shard pinned to CPU 0 and the load generator is pinned to CPU 1 (on a
# machine with two or more CPUs). A fresh broker and data directory serve each configuration.
#
# Usage: scripts/bench.sh [OUTPUT_DIR]     (about 6-8 minutes with the defaults)
# Environment: DURATION (s per point, default 3), WARMUP (s, default 1), SIZES, FLUSHES,
# PARTITIONS (space-separated lists) to run a subset.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/broker-process.sh

OUT="${1:-perf/results/$(date -u +%Y-%m-%d)}"
DURATION="${DURATION:-3}"
WARMUP="${WARMUP:-1}"
SIZES="${SIZES:-100 1024 16384}"
FLUSHES="${FLUSHES:-never always}"
PARTITIONS="${PARTITIONS:-1 8}"
BATCH_BYTES=65536
DATA_ROOT="target/bench-data"

cleanup() {
    local status=$?
    broker_stop || true
    rm -rf "$DATA_ROOT"
    exit "$status"
}
trap cleanup EXIT INT TERM

echo "==> building release binaries"
cargo build --release --locked -p sluice-broker -p sluice-loadgen
mkdir -p "$OUT" "$DATA_ROOT"

echo "==> measuring hardware limits"
scripts/measure-limits.sh "$OUT/hardware-limits.json" "$DATA_ROOT" "$BATCH_BYTES"

# The broker's one shard on CPU 0, the load generator on CPU 1, named explicitly on both.
cores_flag=()
broker_cores=()
(($(nproc) >= 2)) && cores_flag=(--cores 1) && broker_cores=(--cores 0)

# run_config NAME FLUSH [loadgen flags...]: a fresh broker, one loadgen invocation, cleanup.
run_config() {
    local name="$1" flush="$2"
    shift 2
    echo "==> $name"
    rm -rf "$DATA_ROOT/data"
    broker_start target/release/sluice-broker "$DATA_ROOT/data" "$OUT/$name.broker.log" \
        --shards 1 "${broker_cores[@]}" --flush-policy "$flush"
    local status=0
    target/release/sluice-loadgen --broker "$BROKER_ADDR" --topic bench --acks leader \
        --producers 1 --consumers 1 --duration "$DURATION" --warmup "$WARMUP" --quiet \
        "${cores_flag[@]}" --json "$OUT/$name.json" --plot "$OUT/$name.svg" "$@" \
        >"$OUT/$name.txt" || status=$?
    tail -n 14 "$OUT/$name.txt"
    # The broker's own view of the same runs (produce latency, each log write and fdatasync),
    # so the summary can tell the disk's tail from the broker's and the client's. Shards
    # publish every 200 ms, so the last moments of the run may be missing: noise beside a
    # configuration's tens of seconds.
    if [[ -n "$BROKER_METRICS_URL" ]]; then
        python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' \
            "$BROKER_METRICS_URL" >"$OUT/$name.metrics.txt" ||
            { echo "could not scrape $BROKER_METRICS_URL" >&2; rm -f "$OUT/$name.metrics.txt"; }
    fi
    broker_stop || { echo "broker did not stop cleanly for $name" >&2; status=1; }
    # Keep the broker log only when something went wrong.
    ((status == 0)) && rm -f "$OUT/$name.broker.log" "$OUT/$name.broker.log.stdout"
    rm -rf "$DATA_ROOT/data"
    return "$status"
}

failures=0
for size in $SIZES; do
    for flush in $FLUSHES; do
        for partitions in $PARTITIONS; do
            run_config "sweep-${size}B-${flush}-p${partitions}" "$flush" \
                --message-size "$size" --partitions "$partitions" \
                --batch-bytes "$BATCH_BYTES" --max-in-flight 5 \
                --sweep 25%,50%,75% || failures=$((failures + 1))
        done
    done
done
for flush in $FLUSHES; do
    run_config "small-1KiB-${flush}" "$flush" --message-size 1024 --partitions 1 \
        --batch-messages 1 --max-in-flight 1 --buffer-bytes 1 || failures=$((failures + 1))
done

echo "==> summary"
python3 scripts/bench-summary.py "$OUT" | tee "$OUT/summary.md"
if ((failures > 0)); then
    echo "$failures configuration(s) failed; see $OUT/*.txt" >&2
    exit 1
fi
