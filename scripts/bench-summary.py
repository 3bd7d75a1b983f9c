#!/usr/bin/env python3
"""Summarises a scripts/bench.sh output directory as Markdown: the matrix, the hardware limits,
each throughput as a fraction of its limit, the perf/README.md targets met or missed, and the
broker's own latency and disk timings from its metrics (when bench.sh saved them)."""
import glob
import json
import os
import sys

out = sys.argv[1]
limits = json.load(open(os.path.join(out, "hardware-limits.json")))
fio = limits["fio_o_direct"]
tcp = limits["loopback_tcp"]
tcp_mb = tcp["iperf3_mb_per_s"]
fio_qd1_sync_mb = fio["seq_write_size_qd1_fdatasync"]["mb_per_s"]
fio_qd1_mb = fio["seq_write_size_qd1"]["mb_per_s"]
fio_seq_mb = fio["seq_write_1m_qd16"]["mb_per_s"]
rtt_p50 = tcp["rtt_us"]["p50"]
fsync_p50 = fio["fdatasync_4k_qd1"]["fdatasync_lat_us"]["p50"]


def lat(result, kind, p):
    return result["latency_us"].get(kind, {}).get(p)


sweeps = {}
for path in sorted(glob.glob(os.path.join(out, "sweep-*.json"))):
    record = json.load(open(path))
    name = os.path.basename(path)[len("sweep-"):-len(".json")]
    size, flush, parts = name.split("-")
    sweeps[(int(size[:-1]), flush, int(parts[1:]))] = record

first = next(iter(sweeps.values()), None)
print(f"Recorded {limits['date_utc']} on {limits['machine']['cpu_model']}, "
      f"{limits['machine']['cores']} CPUs, kernel {limits['machine']['kernel']}, data on "
      f"{limits['machine']['data_device']} ({limits['machine']['data_filesystem']})"
      + (f", commit `{first['git_commit'][:12]}`" if first else "") + ".\n")
print("### Hardware limits (measured by scripts/measure-limits.sh)\n")
print("| limit | value |\n|---|---|")
print(f"| fio O_DIRECT sequential write, 1 MiB blocks, QD16 | {fio_seq_mb:.0f} MB/s |")
print(f"| fio O_DIRECT sequential write, {fio['write_bytes']} B, QD1 | {fio_qd1_mb:.0f} MB/s |")
qd1 = fio["seq_write_size_qd1"]
if "write_lat_us_p99" in qd1:  # recorded since 2026-11-22 (third session)
    print(f"| ... write latency (p50 / p99 / p99.9 / max) | {qd1['write_lat_us_p50']:.0f} / "
          f"{qd1['write_lat_us_p99']:.0f} / {qd1['write_lat_us_p999']:.0f} / "
          f"{qd1['write_lat_us_max']:.0f} µs |")
print(f"| ... with fdatasync after every write | {fio_qd1_sync_mb:.0f} MB/s |")
print(f"| fdatasync latency, 4 KiB write, QD1 (p50 / p99) | {fsync_p50:.0f} / "
      f"{fio['fdatasync_4k_qd1']['fdatasync_lat_us']['p99']:.0f} µs |")
print(f"| iperf3 loopback TCP | {tcp_mb:.0f} MB/s |")
print(f"| loopback TCP round trip, 64 B (p50 / p99) | {rtt_p50:.0f} / {tcp['rtt_us']['p99']:.0f} µs |\n")

print("### Closed loop (peak), acks leader, 1 producer + 1 consumer, 64 KiB batches, 5 in flight\n")
print("| size | flush | partitions | msgs/s | MB/s | fraction of limit | ack p50 | ack p99 | ack p99.9 | e2e p99 | errors |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for (size, flush, parts), record in sorted(sweeps.items()):
    peak = record.get("peak")
    if not peak:
        continue
    mb = peak["throughput"]["mb_per_s"]
    if flush == "never":
        frac = f"{100 * mb / tcp_mb:.0f}% of loopback TCP"
    else:
        frac = f"{100 * mb / fio_qd1_sync_mb:.0f}% of fio QD1+fdatasync, {100 * mb / fio_qd1_mb:.0f}% of fio QD1"
    print(f"| {size} B | {flush} | {parts} | {peak['throughput']['msgs_per_s']:.0f} | {mb:.1f} | {frac} | "
          f"{lat(peak, 'produce_ack', 'p50')} | {lat(peak, 'produce_ack', 'p99')} | "
          f"{lat(peak, 'produce_ack', 'p999')} | {lat(peak, 'end_to_end', 'p99')} | {peak['errors']} |")

print("\n### Open loop at 25 / 50 / 75 % of peak (latency in µs from the intended send time)\n")
print("| size | flush | partitions | target msgs/s | achieved | kept up | ack p50 | ack p99 | ack p99.9 | ack max | e2e p50 | e2e p99 |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for (size, flush, parts), record in sorted(sweeps.items()):
    for point in record.get("sweep", []):
        print(f"| {size} B | {flush} | {parts} | {point['target_rate_msgs_per_s']:.0f} | "
              f"{point['throughput']['msgs_per_s']:.0f} | {'yes' if point['schedule']['kept_up'] else 'NO'} | "
              f"{lat(point, 'produce_ack', 'p50')} | {lat(point, 'produce_ack', 'p99')} | "
              f"{lat(point, 'produce_ack', 'p999')} | {lat(point, 'produce_ack', 'max')} | "
              f"{lat(point, 'end_to_end', 'p50')} | {lat(point, 'end_to_end', 'p99')} |")

small = {}
for flush in ("never", "always"):
    path = os.path.join(out, f"small-1KiB-{flush}.json")
    if os.path.exists(path):
        small[flush] = json.load(open(path))
if small:
    print("\n### Small batches: 1 KiB, 1 message per send, 1 in flight (closed loop)\n")
    print("| flush | msgs/s | ack p50 | ack p99 | ack p99.9 | e2e p50 | bound: 3 x (RTT p50 + fdatasync p50) |")
    print("|---|---|---|---|---|---|---|")
    for flush, record in small.items():
        bound = 3 * (rtt_p50 + fsync_p50)
        print(f"| {flush} | {record['throughput']['msgs_per_s']:.0f} | {lat(record, 'produce_ack', 'p50')} | "
              f"{lat(record, 'produce_ack', 'p99')} | {lat(record, 'produce_ack', 'p999')} | "
              f"{lat(record, 'end_to_end', 'p50')} | {bound:.0f} |")

print("\n### Targets\n")
print("| target | measured | verdict |\n|---|---|---|")


def verdict(ok, measured, limit, higher_is_better):
    if ok:
        return "met"
    if higher_is_better:
        return f"MISSED by {100 * (1 - measured / limit):.0f}%"
    return f"MISSED by {measured / limit:.1f}x"


def target(name, measured, limit, higher_is_better, unit):
    if measured is None:
        print(f"| {name} | not measured | - |")
        return
    ok = measured >= limit if higher_is_better else measured <= limit
    print(f"| {name} | {measured:.1f} {unit} (limit {limit:.1f} {unit}) | {verdict(ok, measured, limit, higher_is_better)} |")


def peak_mb(flush):
    r = sweeps.get((1024, flush, 1), {}).get("peak")
    return r and r["throughput"]["mb_per_s"]


def half(flush, kind, p):
    r = sweeps.get((1024, flush, 1))
    points = r and r.get("sweep") or []
    return points[1]["latency_us"].get(kind, {}).get(p) if len(points) >= 2 else None


target("closed loop 1 KiB, 1 partition, never >= 25% of loopback TCP", peak_mb("never"), 0.25 * tcp_mb, True, "MB/s")
target("closed loop 1 KiB, 1 partition, always >= 50% of fio QD1 + fdatasync (same write size)",
       peak_mb("always"), 0.5 * fio_qd1_sync_mb, True, "MB/s")
target("... and >= 50% of fio QD1 without fdatasync", peak_mb("always"), 0.5 * fio_qd1_mb, True, "MB/s")
target("open loop 50% of peak, never: ack p99 <= 500 µs", half("never", "produce_ack", "p99"), 500, False, "µs")
target("open loop 50% of peak, never: ack p99.9 <= 2 ms", half("never", "produce_ack", "p999"), 2000, False, "µs")
target("open loop 50% of peak, always: ack p99 <= 1 ms", half("always", "produce_ack", "p99"), 1000, False, "µs")
target("open loop 50% of peak, never: e2e p99 <= 1 ms", half("never", "end_to_end", "p99"), 1000, False, "µs")
for flush, record in small.items():
    target(f"small batches, {flush}: ack p50 <= 3 x (RTT + one fdatasync)",
           lat(record, "produce_ack", "p50"), 3 * (rtt_p50 + fsync_p50), False, "µs")


def broker_view(path):
    """Quantiles (µs) and counts of the broker's latency summaries in one metrics scrape:
    {series: {"count": n, "0.5": µs, ...}}, the worst shard's quantile, counts summed."""
    view = {}
    for line in open(path):
        if line.startswith("#") or " " not in line:
            continue
        series, value = line.rsplit(" ", 1)
        name = series.split("{", 1)[0]
        if name.endswith("_count"):
            entry = view.setdefault(name[: -len("_count")], {})
            entry["count"] = entry.get("count", 0) + float(value)
        elif 'quantile="' in series:
            q = series.split('quantile="', 1)[1].split('"', 1)[0]
            entry = view.setdefault(name, {})
            entry[q] = max(entry.get(q, 0.0), float(value) * 1e6)
    return view


scrapes = sorted(glob.glob(os.path.join(out, "*.metrics.txt")))
if scrapes:
    print("\n### The broker's own view (its metrics after each configuration, all of its runs)\n")
    print("Produce latency is the broker's, from request decode to response; log writes and")
    print("fdatasyncs are each one disk operation; timer lag is how late a 10 ms timer on the shard")
    print("fired (how long an arrived request can wait to be read). µs, worst shard.\n")
    print("| configuration | produce p50 / p99 / max | log writes | write p50 / p99 / max | fdatasyncs | fdatasync p50 / p99 / max | timer lag p50 / p99 / max |")
    print("|---|---|---|---|---|---|---|")
    for path in scrapes:
        view = broker_view(path)

        def quantiles(series):
            entry = view.get(series, {})
            if not entry.get("count"):
                return "-"
            return " / ".join(f"{entry.get(q, 0):.0f}" for q in ("0.5", "0.99", "1"))

        def count(series):
            return f"{view.get(series, {}).get('count', 0):.0f}"

        name = os.path.basename(path)[: -len(".metrics.txt")]
        print(f"| {name} | {quantiles('sluice_produce_latency_seconds')} | "
              f"{count('sluice_log_write_latency_seconds')} | {quantiles('sluice_log_write_latency_seconds')} | "
              f"{count('sluice_log_fdatasync_latency_seconds')} | {quantiles('sluice_log_fdatasync_latency_seconds')} | "
              f"{quantiles('sluice_shard_timer_lag_seconds')} |")
