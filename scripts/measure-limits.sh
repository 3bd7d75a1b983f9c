#!/usr/bin/env bash
# Measures this machine's own limits, so every Sluice throughput reads as a fraction of what the
# hardware allows:
#   - fio O_DIRECT sequential write bandwidth (1 MiB blocks, queue depth 16), on the file system
#     that holds the broker's data;
#   - fio O_DIRECT sequential writes of the broker's write size at queue depth 1, with and
#     without an fdatasync after every write (what flush=always pays per acknowledgement);
#   - fio fdatasync latency of 4 KiB writes at queue depth 1;
#   - iperf3 loopback TCP bandwidth (server and client pinned to different CPUs when possible);
#   - loopback TCP round-trip time (loadgen/examples/loopback_rtt.rs).
# Installs fio, iperf3 and python3 with apt-get when missing.
#
# Usage: scripts/measure-limits.sh OUTPUT.json [DATA_DIR] [WRITE_BYTES]
set -euo pipefail
cd "$(dirname "$0")/.."

OUTPUT="${1:?usage: scripts/measure-limits.sh OUTPUT.json [DATA_DIR] [WRITE_BYTES]}"
DATA_DIR="${2:-target/limits-data}"
WRITE_BYTES="${3:-65536}"
FIO_SIZE="${FIO_SIZE:-1G}"
FIO_RUNTIME_S="${FIO_RUNTIME_S:-8}"
IPERF_SECONDS="${IPERF_SECONDS:-5}"

need() {
    local tool="$1" package="$2"
    command -v "$tool" >/dev/null && return 0
    echo "==> installing $package (apt-get)" >&2
    local sudo=()
    ((EUID == 0)) || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq "$package" >/dev/null
}
need fio fio
need iperf3 iperf3
need python3 python3

mkdir -p "$DATA_DIR" "$(dirname "$OUTPUT")"
TMP="$(mktemp -d -t sluice-limits.XXXXXX)"
IPERF_PID=""
cleanup() {
    local status=$?
    [[ -n "$IPERF_PID" ]] && kill "$IPERF_PID" 2>/dev/null && wait "$IPERF_PID" 2>/dev/null
    rm -f "$DATA_DIR"/fio-limits.*
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT INT TERM

cpus="$(nproc)"
SERVER_CPU=0
CLIENT_CPU=$((cpus >= 2 ? 1 : 0))

fio_job() { # name extra-args...
    local name="$1"
    shift
    echo "==> fio $name" >&2
    fio --name="$name" --filename="$DATA_DIR/fio-limits.$name" --size="$FIO_SIZE" \
        --direct=1 --rw=write --ioengine=libaio --runtime="$FIO_RUNTIME_S" --time_based=0 \
        --output-format=json "$@" >"$TMP/$name.json"
}
fio_job seq_1m_qd16 --bs=1M --iodepth=16
fio_job seq_write_size_qd1 --bs="$WRITE_BYTES" --iodepth=1
fio_job seq_write_size_qd1_fdatasync --bs="$WRITE_BYTES" --iodepth=1 --fdatasync=1
fio_job fdatasync_4k_qd1 --bs=4k --iodepth=1 --fdatasync=1 --size=64M

echo "==> iperf3 loopback (server CPU $SERVER_CPU, client CPU $CLIENT_CPU)" >&2
IPERF_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
iperf3 -s -1 -B 127.0.0.1 -p "$IPERF_PORT" -A "$SERVER_CPU" >"$TMP/iperf-server.log" 2>&1 &
IPERF_PID=$!
iperf_ok=0
for _ in $(seq 1 50); do # the server needs a moment to listen; retry (bounded)
    sleep 0.2
    if iperf3 -c 127.0.0.1 -p "$IPERF_PORT" -A "$CLIENT_CPU" -t "$IPERF_SECONDS" -J \
        >"$TMP/iperf.json" 2>/dev/null; then
        iperf_ok=1
        break
    fi
done
kill "$IPERF_PID" 2>/dev/null || true
wait "$IPERF_PID" 2>/dev/null || true
IPERF_PID=""
((iperf_ok)) || { echo "iperf3 loopback measurement failed" >&2; cat "$TMP/iperf-server.log" >&2; exit 1; }

echo "==> loopback TCP round trip" >&2
cargo build --release --locked -p sluice-loadgen --example loopback_rtt >/dev/null 2>&1 ||
    cargo build --release --locked -p sluice-loadgen --example loopback_rtt
target/release/examples/loopback_rtt 30000 64 "$SERVER_CPU" "$CLIENT_CPU" >"$TMP/rtt.json"

python3 - "$TMP" "$OUTPUT" "$WRITE_BYTES" "$DATA_DIR" <<'PY'
import json, sys, os, platform, subprocess, datetime
tmp, output, write_bytes, data_dir = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def fio(name):
    job = json.load(open(f"{tmp}/{name}.json"))["jobs"][0]
    w = job["write"]
    pct = w["clat_ns"]["percentile"]
    out = {"mb_per_s": w["bw_bytes"] / 1e6, "iops": w["iops"],
           "write_lat_us_p50": pct.get("50.000000", 0) / 1e3,
           # The disk's own tail: a log write this slow holds back whatever waits for it.
           "write_lat_us_p99": pct.get("99.000000", 0) / 1e3,
           "write_lat_us_p999": pct.get("99.900000", 0) / 1e3,
           "write_lat_us_max": w["clat_ns"]["max"] / 1e3}
    sync = job.get("sync", {}).get("lat_ns", {})
    if sync.get("N", 0):
        pct = sync.get("percentile", {})
        out["fdatasync_lat_us"] = {"p50": pct.get("50.000000", 0) / 1e3, "p99": pct.get("99.000000", 0) / 1e3,
                                   "mean": sync["mean"] / 1e3}
    return out
iperf = json.load(open(f"{tmp}/iperf.json"))
rtt = json.load(open(f"{tmp}/rtt.json"))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
fs = subprocess.run(["df", "-T", data_dir], capture_output=True, text=True).stdout.splitlines()[-1].split()
record = {
    "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "machine": {"cpu_model": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
                "data_device": fs[0], "data_filesystem": fs[1]},
    "fio_o_direct": {
        "seq_write_1m_qd16": fio("seq_1m_qd16"),
        "write_bytes": write_bytes,
        "seq_write_size_qd1": fio("seq_write_size_qd1"),
        "seq_write_size_qd1_fdatasync": fio("seq_write_size_qd1_fdatasync"),
        "fdatasync_4k_qd1": fio("fdatasync_4k_qd1"),
    },
    "loopback_tcp": {
        "iperf3_mb_per_s": iperf["end"]["sum_received"]["bits_per_second"] / 8 / 1e6,
        "iperf3_seconds": iperf["end"]["sum_received"]["seconds"],
        "rtt_us": rtt["rtt_us"],
        "rtt_message_bytes": rtt["message_bytes"],
    },
}
json.dump(record, open(output, "w"), indent=2)
f = record["fio_o_direct"]; l = record["loopback_tcp"]
print(f"fio O_DIRECT seq write 1 MiB QD16:           {f['seq_write_1m_qd16']['mb_per_s']:9.1f} MB/s")
print(f"fio O_DIRECT seq write {write_bytes} B QD1:        {f['seq_write_size_qd1']['mb_per_s']:9.1f} MB/s")
q = f['seq_write_size_qd1']
print(f"  ... write latency p50 / p99 / p99.9 / max: {q['write_lat_us_p50']:9.1f} / {q['write_lat_us_p99']:.1f} / {q['write_lat_us_p999']:.1f} / {q['write_lat_us_max']:.1f} µs")
print(f"  ... with fdatasync after every write:      {f['seq_write_size_qd1_fdatasync']['mb_per_s']:9.1f} MB/s")
print(f"fdatasync latency (4 KiB, QD1) p50 / p99:    {f['fdatasync_4k_qd1']['fdatasync_lat_us']['p50']:9.1f} / {f['fdatasync_4k_qd1']['fdatasync_lat_us']['p99']:.1f} µs")
print(f"iperf3 loopback TCP:                         {l['iperf3_mb_per_s']:9.1f} MB/s")
print(f"loopback TCP round trip p50 / p99:           {l['rtt_us']['p50']:9.1f} / {l['rtt_us']['p99']:.1f} µs")
PY
