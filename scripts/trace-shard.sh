#!/usr/bin/env bash
# Records what the scheduler and io_uring do to a running broker's shard threads for a few
# seconds, then summarises who preempts them, how long they sleep, and how late they run
# after a wake-up. Run it while a load runs (scripts/bench.sh or sluice-loadgen).
#
#   scripts/trace-shard.sh BROKER_PID [SECONDS] [OUT_DIR]
#
# Needs root (or perf_event_paranoid <= -1) for the sched and io_uring tracepoints.
set -euo pipefail
pid="${1:?usage: trace-shard.sh BROKER_PID [SECONDS] [OUT_DIR]}"
seconds="${2:-2}"
out="${3:-target/trace-shard}"
command -v perf >/dev/null || { echo "perf is not installed (apt-get install linux-perf)" >&2; exit 1; }
mkdir -p "$out"
perf record -q -a -o "$out/perf.data" \
    -e sched:sched_switch,sched:sched_wakeup,io_uring:io_uring_submit_req,io_uring:io_uring_complete \
    -- sleep "$seconds"
perf script -i "$out/perf.data" -F comm,tid,cpu,time,event,trace >"$out/trace.txt" 2>/dev/null
echo "threads of $pid:"
ps -L -o tid,psr,comm -p "$pid"
python3 "$(dirname "$0")/sched-trace-summary.py" "$out/trace.txt" --threads shard-
echo "io_uring operations submitted by the shards:"
grep 'io_uring_submit_req' "$out/trace.txt" | grep ' shard-' | grep -o 'opcode [A-Z_]*' | sort | uniq -c | sort -rn
