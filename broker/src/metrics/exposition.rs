//! Rendering snapshots in the Prometheus text exposition format (version 0.0.4).

use std::fmt::Write;

use hdrhistogram::Histogram;

use super::ShardSnapshot;

/// A shard-level series: name, help text, and how to read it from a snapshot.
type ShardSeries = (&'static str, &'static str, fn(&ShardSnapshot) -> u64);

/// Quantiles exported for every latency summary.
const QUANTILES: [f64; 6] = [0.5, 0.9, 0.99, 0.999, 0.9999, 1.0];

/// Renders all shards' snapshots as one Prometheus text page.
pub fn render(snapshots: &[ShardSnapshot]) -> String {
    let mut out = String::with_capacity(4096);
    let counters: [ShardSeries; 10] = [
        ("sluice_connections_accepted_total", "Client connections accepted.", |s| {
            s.connections_accepted_total
        }),
        ("sluice_connections_refused_total", "Connections refused at the connection limit.", |s| {
            s.connections_refused_total
        }),
        ("sluice_requests_total", "Requests decoded.", |s| s.requests_total),
        ("sluice_request_errors_total", "Requests that failed or broke framing.", |s| {
            s.request_errors_total
        }),
        (
            "sluice_forwarded_requests_total",
            "Partition operations forwarded to the owning shard.",
            |s| s.forwarded_requests_total,
        ),
        ("sluice_bytes_in_total", "Record-batch bytes accepted by produce.", |s| s.bytes_in_total),
        ("sluice_bytes_out_total", "Record-batch bytes returned by fetch.", |s| s.bytes_out_total),
        ("sluice_produce_requests_total", "Produce requests handled.", |s| {
            s.produce_requests_total
        }),
        ("sluice_fetch_requests_total", "Fetch requests handled.", |s| s.fetch_requests_total),
        ("sluice_connections_open", "Client connections open.", |s| s.connections_open),
    ];
    for (name, help, value) in counters {
        let kind = if name.ends_with("_total") { "counter" } else { "gauge" };
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for s in snapshots {
            let _ = writeln!(out, "{name}{{shard=\"{}\"}} {}", s.shard, value(s));
        }
    }

    let _ = writeln!(out, "# HELP sluice_partitions Partitions owned by the shard.");
    let _ = writeln!(out, "# TYPE sluice_partitions gauge");
    for s in snapshots {
        let _ = writeln!(out, "sluice_partitions{{shard=\"{}\"}} {}", s.shard, s.partitions.len());
    }
    for (name, help, pick) in [
        (
            "sluice_log_end_offset",
            "Offset the next append to the partition will get.",
            (|p| p.log_end_offset) as fn(&super::PartitionGauge) -> i64,
        ),
        ("sluice_log_start_offset", "First offset still stored in the partition.", |p| {
            p.log_start_offset
        }),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for s in snapshots {
            for p in &s.partitions {
                let _ = writeln!(
                    out,
                    "{name}{{shard=\"{}\",topic=\"{}\",partition=\"{}\"}} {}",
                    s.shard,
                    escape_label(&p.topic),
                    p.partition,
                    pick(p)
                );
            }
        }
    }

    for (name, help, pick) in [
        (
            "sluice_produce_latency_seconds",
            "Produce latency from request decode to response.",
            (|s| &s.produce_latency_us) as fn(&ShardSnapshot) -> &Histogram<u64>,
        ),
        ("sluice_fetch_latency_seconds", "Fetch latency from request decode to response.", |s| {
            &s.fetch_latency_us
        }),
        ("sluice_log_write_latency_seconds", "Latency of each direct write of log data.", |s| {
            &s.log_write_latency_us
        }),
        (
            "sluice_log_fdatasync_latency_seconds",
            "Latency of each fdatasync of a log segment.",
            |s| &s.log_fdatasync_latency_us,
        ),
        (
            "sluice_shard_timer_lag_seconds",
            "How late a 10 ms timer on the shard fired: how long an arrived request can wait.",
            |s| &s.timer_lag_us,
        ),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} summary");
        for s in snapshots {
            let h = pick(s);
            for q in QUANTILES {
                let v = if h.is_empty() { 0 } else { h.value_at_quantile(q) };
                let _ = writeln!(
                    out,
                    "{name}{{shard=\"{}\",quantile=\"{q}\"}} {}",
                    s.shard,
                    v as f64 / 1e6
                );
            }
            let sum_s = h.mean() * h.len() as f64 / 1e6;
            let _ = writeln!(out, "{name}_sum{{shard=\"{}\"}} {sum_s}", s.shard);
            let _ = writeln!(out, "{name}_count{{shard=\"{}\"}} {}", s.shard, h.len());
        }
    }
    out
}

/// Escapes a label value as the exposition format requires.
fn escape_label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::metrics::{PartitionGauge, ShardMetrics};

    #[test]
    fn every_sample_line_parses_as_name_labels_value() {
        let mut m = ShardMetrics::new(1);
        m.record_produce(Duration::from_micros(250));
        m.record_fetch(Duration::from_millis(3));
        m.partitions.push(PartitionGauge {
            topic: "we\"ird".into(),
            partition: 4,
            log_start_offset: 0,
            log_end_offset: 17,
        });
        let text = render(&[m]);
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (series, value) = line.rsplit_once(' ').expect("name and value");
            assert!(value.parse::<f64>().is_ok(), "{line}");
            assert!(series.starts_with("sluice_"), "{line}");
        }
        assert!(text.contains("sluice_produce_requests_total{shard=\"1\"} 1"));
        assert!(text
            .contains("sluice_log_end_offset{shard=\"1\",topic=\"we\\\"ird\",partition=\"4\"} 17"));
        assert!(text.contains("sluice_produce_latency_seconds_count{shard=\"1\"} 1"));
    }
}
