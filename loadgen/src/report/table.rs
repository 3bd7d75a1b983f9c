//! The final table printed after a run, and the sweep table.

use std::fmt::Write;

use crate::measure::LatencySummary;
use crate::run::RunResult;

/// The final table of one run.
pub fn run_table(result: &RunResult) -> String {
    let mut out = String::new();
    let mode = match result.target_rate_per_s {
        Some(rate) => format!("open loop at {rate:.0} msgs/s"),
        None => "closed loop".into(),
    };
    let _ = writeln!(out, "sluice-loadgen results ({mode}, {:.1} s measured)", result.measured_s);
    let _ = writeln!(
        out,
        "  throughput   {:>12.0} msgs/s {:>10.2} MB/s   (acked {} msgs, {} bytes)",
        result.msgs_per_s(),
        result.mb_per_s(),
        result.measured.acked_msgs,
        result.measured.acked_bytes
    );
    if result.measured.consumed_msgs > 0 {
        let _ = writeln!(
            out,
            "  consumed     {:>12.0} msgs/s {:>10.2} MB/s",
            result.measured.consumed_msgs as f64 / result.measured_s,
            result.measured.consumed_bytes as f64 / result.measured_s / 1e6
        );
    }
    let _ = writeln!(
        out,
        "  latency (µs) {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11}",
        "p50", "p90", "p99", "p99.9", "p99.99", "max", "count"
    );
    let mut row = |name: &str, s: &LatencySummary| {
        let c = s.columns();
        let _ = writeln!(
            out,
            "  {name:<12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11}",
            c[0], c[1], c[2], c[3], c[4], c[5], s.count
        );
    };
    row("produce-ack", &result.produce_summary());
    if !result.end_to_end.is_empty() {
        row("end-to-end", &result.end_to_end_summary());
    }
    let _ = writeln!(out, "  errors       {}", result.errors);
    for sample in &result.error_samples {
        let _ = writeln!(out, "    {sample}");
    }
    if let Some(rate) = result.target_rate_per_s {
        if result.kept_up() {
            let _ = writeln!(
                out,
                "  schedule     kept up with {rate:.0} msgs/s (max lag {:.1} ms)",
                result.lag_ns_max as f64 / 1e6
            );
        } else {
            let _ = writeln!(
                out,
                "  schedule     BROKER DID NOT KEEP UP: {:.0} of {rate:.0} msgs/s ({:.0}%), producers up to {:.1} ms behind, {} scheduled messages never sent; latencies include the wait",
                result.msgs_per_s(),
                100.0 * result.msgs_per_s() / rate,
                result.lag_ns_max as f64 / 1e6,
                result.unsent_msgs
            );
        }
    }
    out
}

/// One row of a sweep: the target, what was achieved, and the latency at that load.
#[derive(Debug, Clone)]
pub struct SweepPoint {
    /// Target rate (msgs/s).
    pub target_rate_per_s: f64,
    /// The run.
    pub result: RunResult,
}

/// The latency-versus-throughput table of a sweep.
pub fn sweep_table(points: &[SweepPoint]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>12} {:>12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "target/s",
        "achieved/s",
        "MB/s",
        "ack p50",
        "ack p99",
        "ack p99.9",
        "ack max",
        "e2e p50",
        "e2e p99",
        "kept up"
    );
    for point in points {
        let r = &point.result;
        let ack = r.produce_summary();
        let e2e = r.end_to_end_summary();
        let _ = writeln!(
            out,
            "{:>12.0} {:>12.0} {:>9.2} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7}",
            point.target_rate_per_s,
            r.msgs_per_s(),
            r.mb_per_s(),
            ack.p50,
            ack.p99,
            ack.p999,
            ack.max,
            e2e.p50,
            e2e.p99,
            if r.kept_up() { "yes" } else { "NO" }
        );
    }
    out
}
