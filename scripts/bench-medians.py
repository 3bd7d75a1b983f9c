#!/usr/bin/env python3
"""Medians over repeated runs of the headline configuration (1 KiB, 1 partition).

    SIZES=1024 PARTITIONS=1 scripts/bench.sh DIR1   # repeat into DIR2, DIR3...
    scripts/bench-medians.py DIR1 DIR2 DIR3

Prints, per flush policy, the median closed-loop peak and the median latencies of the open-loop
point at 50 % of peak, then the small-batch medians. Single runs on a 2-core guest swing too much
to quote; perf/README.md quotes these.
"""
import json, statistics, glob, sys
dirs = sys.argv[1:]
def load(d, name):
    return json.load(open(f'{d}/{name}.json'))
out = {}
for flush in ['never', 'always']:
    peaks, mbs, p50, p99, p999, e50, e99 = [], [], [], [], [], [], []
    for d in dirs:
        try: j = load(d, f'sweep-1024B-{flush}-p1')
        except Exception: continue
        peaks.append(j['peak']['throughput']['msgs_per_s']); mbs.append(j['peak']['throughput']['mb_per_s'])
        half = j['sweep'][1]
        l = half['latency_us']['produce_ack']; e = half['latency_us']['end_to_end']
        p50.append(l['p50']); p99.append(l['p99']); p999.append(l['p999']); e50.append(e['p50']); e99.append(e['p99'])
    med = statistics.median
    print(f'{flush}: n={len(peaks)} peak {med(peaks):.0f} msgs/s {med(mbs):.1f} MB/s (runs {[round(x/1000) for x in peaks]}k); 50%: ack p50 {med(p50)} p99 {med(p99)} p99.9 {med(p999)} (p99 runs {p99}); e2e p50 {med(e50)} p99 {med(e99)}')
for flush in ['never', 'always']:
    p50 = []
    for d in dirs:
        try: j = load(d, f'small-1KiB-{flush}')
        except Exception: continue
        p50.append(j['latency_us']['produce_ack']['p50'])
    if p50: print(f'small {flush}: ack p50 median {statistics.median(p50)} runs {p50}')
