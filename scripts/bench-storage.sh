#!/usr/bin/env bash
# Storage benchmarks beside fio on the same disk and block sizes, so every sluice-storage figure
# reads as a ratio to what the device allows. Results go to perf/storage-results/; the summary
# is perf/storage.md (written by hand from these files).
#
#   scripts/bench-storage.sh                 # 256 MiB per run in /var/tmp/sluice-bench
#   SLUICE_BENCH_DIR=/mnt/nvme/x SLUICE_BENCH_MIB=1024 scripts/bench-storage.sh
#
# Needs fio (apt-get install fio) and python3 (to summarise fio's JSON).
set -euo pipefail
cd "$(dirname "$0")/.."

DIR="${SLUICE_BENCH_DIR:-/var/tmp/sluice-bench}"
MIB="${SLUICE_BENCH_MIB:-256}"
OUT="$(pwd)/${SLUICE_BENCH_OUT:-perf/storage-results}"
mkdir -p "$DIR" "$OUT"
command -v fio >/dev/null || { echo "fio is not installed (apt-get install fio)" >&2; exit 1; }

summarise() { # file label
  python3 - "$1" "$2" <<'PY'
import json, sys
job = json.load(open(sys.argv[1]))["jobs"][0]
side = "write" if job["write"]["io_bytes"] > 0 else "read"
io = job[side]
line = f"| fio | {sys.argv[2]} | {io['bw_bytes'] / 1e6:.0f} MB/s | clat p50 {io['clat_ns']['percentile']['50.000000'] / 1e3:.0f} us"
if job.get("sync", {}).get("lat_ns", {}).get("N", 0):
    pct = job["sync"]["lat_ns"]["percentile"]
    line += f" | fdatasync p50 {pct['50.000000'] / 1e3:.0f} us p99 {pct['99.000000'] / 1e3:.0f} us"
print(line + " |")
PY
}

# fio writes into a fresh, fallocated file each time: the same state a new preallocated
# segment is in, so the comparison is like for like.
for bs in 16k 64k 256k; do
  rm -f "$DIR/fio.dat"
  fio --name="seqwrite-$bs" --filename="$DIR/fio.dat" --rw=write --bs="$bs" --size="${MIB}M" \
    --direct=1 --ioengine=io_uring --iodepth=1 --output-format=json > "$OUT/fio-write-$bs.json"
  summarise "$OUT/fio-write-$bs.json" "O_DIRECT seq write bs=$bs iodepth=1"
  rm -f "$DIR/fio.dat"
  fio --name="seqwrite-fdatasync-$bs" --filename="$DIR/fio.dat" --rw=write --bs="$bs" --size=64M \
    --direct=1 --ioengine=io_uring --iodepth=1 --fdatasync=1 --output-format=json \
    > "$OUT/fio-write-fdatasync-$bs.json"
  summarise "$OUT/fio-write-fdatasync-$bs.json" "O_DIRECT seq write + fdatasync each bs=$bs"
done
rm -f "$DIR/fio.dat"
fio --name=layout --filename="$DIR/fio.dat" --rw=write --bs=1m --size="${MIB}M" --direct=1 \
  --ioengine=io_uring --output-format=json > /dev/null
for bs in 256k 1m; do
  fio --name="seqread-$bs" --filename="$DIR/fio.dat" --rw=read --bs="$bs" --size="${MIB}M" \
    --direct=1 --ioengine=io_uring --iodepth=1 --output-format=json > "$OUT/fio-read-$bs.json"
  summarise "$OUT/fio-read-$bs.json" "O_DIRECT seq read bs=$bs iodepth=1"
done
rm -f "$DIR/fio.dat"

# sluice-storage, with the executor parking at once (spin 0) and spinning 200 us before it
# parks, as a busy shard effectively does.
for spin in 0 200; do
  echo "sluice-storage, spin_before_park ${spin} us:"
  BENCH_SPIN_US="$spin" cargo bench -q -p sluice-storage --bench storage_bench -- \
    --dir "$DIR" --mib "$MIB" --json "$OUT/storage-bench-spin$spin.json" \
    | tee "$OUT/storage-bench-spin$spin.md"
done
