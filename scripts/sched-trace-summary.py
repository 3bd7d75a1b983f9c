#!/usr/bin/env python3
"""Summarise a scheduler trace of the broker's shard threads (and anything else named).

Input: `perf script -F comm,tid,cpu,time,event,trace` output of a `perf record` with
sched:sched_switch and sched:sched_wakeup (scripts/trace-shard.sh makes both). For every
thread whose name matches --threads, it reports:

- preempted: switched out while runnable, and by whom (another thread on its core stole it);
- slept: switched out voluntarily, split into time until woken and time from wake-up to
  running again (the scheduler's delay), and who woke it.

This is how the io_uring worker (iou-wrk) preempting a shard on its own core was found; see
perf/README.md.
"""
import argparse
import collections
import re
import sys

SWITCH = re.compile(
    r"\s*(.+?)\s+(\d+) \[(\d+)\]\s+([\d.]+):\s+sched:sched_switch: prev_comm=(.*?) "
    r"prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)"
)
WAKEUP = re.compile(r"\s*(.+?)\s+(\d+) \[(\d+)\]\s+([\d.]+):\s+sched:sched_wakeup: comm=(.*?) pid=(\d+) ")


def percentile(values, p):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def describe(values):
    return (
        f"n={len(values)} total={sum(values) / 1e3:.1f} ms p50={percentile(values, 0.5):.0f} "
        f"p99={percentile(values, 0.99):.0f} max={max(values, default=0):.0f} us"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("script", help="perf script output")
    parser.add_argument("--threads", default="shard-", help="substring of thread names to report")
    args = parser.parse_args()

    names = {}
    out_at, out_runnable, woken_at, woken_by = {}, {}, {}, {}
    preempted = collections.defaultdict(list)
    preempted_by = collections.defaultdict(collections.Counter)
    slept = collections.defaultdict(list)
    wake_delay = collections.defaultdict(list)
    wakers = collections.defaultdict(collections.Counter)
    with open(args.script, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            switch = SWITCH.match(line)
            if switch:
                time = float(switch.group(4))
                prev, prev_state = switch.group(6), switch.group(7)
                nxt, next_comm = switch.group(9), switch.group(8)
                names[prev] = switch.group(5)
                names[nxt] = next_comm
                out_at[prev] = time
                out_runnable[prev] = prev_state.startswith("R")
                if out_runnable[prev]:
                    preempted_by[prev][next_comm] += 1
                woken_at.pop(prev, None)
                if nxt in out_at:
                    away = (time - out_at.pop(nxt)) * 1e6
                    if out_runnable.pop(nxt):
                        preempted[nxt].append(away)
                    elif nxt in woken_at:
                        woke = woken_at.pop(nxt)
                        slept[nxt].append(away - (time - woke) * 1e6)
                        wake_delay[nxt].append((time - woke) * 1e6)
                        wakers[nxt][woken_by.pop(nxt)] += 1
                continue
            wakeup = WAKEUP.match(line)
            if wakeup:
                target = wakeup.group(6)
                if target in out_at and target not in woken_at:
                    woken_at[target] = float(wakeup.group(4))
                    woken_by[target] = wakeup.group(1).strip()

    tids = sorted(t for t, n in names.items() if args.threads in n)
    if not tids:
        sys.exit(f"no thread named like {args.threads!r} in the trace")
    for tid in tids:
        print(f"## {names[tid]} (tid {tid})")
        print(f"- preempted while runnable: {describe(preempted[tid])}")
        print(f"  by: {dict(preempted_by[tid].most_common(5))}")
        print(f"- asleep until woken: {describe(slept[tid])}")
        print(f"- woken to running: {describe(wake_delay[tid])}")
        print(f"  woken by: {dict(wakers[tid].most_common(5))}")


if __name__ == "__main__":
    main()
