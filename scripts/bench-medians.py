#!/usr/bin/env python3
"""Medians over repeated runs of the headline configuration (1 KiB, 1 partition).

    SIZES=1024 PARTITIONS=1 scripts/bench.sh DIR1   # repeat into DIR2, DIR3...
    scripts/bench-medians.py DIR1 DIR2 DIR3

Prints, per flush policy, the median closed-loop peak and the median latencies of the open-loop
point at 50 % of peak, then the small-batch medians, then every producer-only run found
(`no-consumer-1024B-never-p1.json`: a `--consumers 0 --sweep 50%` run). Single runs on a 2-core
guest swing too much to quote; perf/README.md quotes these.
"""
import json
import statistics
import sys


def load(directory, name):
    """The run's JSON, or None when that run is not in the directory."""
    try:
        with open(f"{directory}/{name}.json", encoding="utf-8") as file:
            return json.load(file)
    except FileNotFoundError:
        return None


def runs(dirs, name):
    return [run for run in (load(d, name) for d in dirs) if run is not None]


def main():
    dirs = sys.argv[1:]
    if not dirs:
        sys.exit(__doc__)
    med = statistics.median
    for flush in ["never", "always"]:
        sweeps = runs(dirs, f"sweep-1024B-{flush}-p1")
        if not sweeps:
            continue
        peaks = [s["peak"]["throughput"]["msgs_per_s"] for s in sweeps]
        mbs = [s["peak"]["throughput"]["mb_per_s"] for s in sweeps]
        half = [s["sweep"][1]["latency_us"] for s in sweeps]
        ack = lambda q: med(h["produce_ack"][q] for h in half)
        e2e = lambda q: med(h["end_to_end"][q] for h in half)
        p99_runs = [h["produce_ack"]["p99"] for h in half]
        print(
            f"{flush}: n={len(sweeps)} peak {med(peaks):.0f} msgs/s {med(mbs):.1f} MB/s "
            f"(runs {[round(x / 1000) for x in peaks]}k); 50%: ack p50 {ack('p50')} "
            f"p99 {ack('p99')} p99.9 {ack('p999')} (p99 runs {p99_runs}); "
            f"e2e p50 {e2e('p50')} p99 {e2e('p99')}"
        )
    for flush in ["never", "always"]:
        p50 = [r["latency_us"]["produce_ack"]["p50"] for r in runs(dirs, f"small-1KiB-{flush}")]
        if p50:
            print(f"small {flush}: ack p50 median {med(p50)} runs {p50}")
    alone = [
        (round(r["peak"]["throughput"]["msgs_per_s"]),)
        + tuple(r["sweep"][0]["latency_us"]["produce_ack"][q] for q in ("p50", "p99", "p999"))
        for r in runs(dirs, "no-consumer-1024B-never-p1")
    ]
    if alone:
        print(f"producer only (no consumer), never: runs (peak, p50, p99, p99.9 at 50%): {alone}")


if __name__ == "__main__":
    main()
