//! The JSON record of a run or a sweep: every figure, the full configuration, the git commit,
//! the date and the machine.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::machine_info::{git_commit, MachineInfo};
use super::table::SweepPoint;
use crate::config::{acks_name, flush_policy_name, RunConfig};
use crate::error::LoadgenError;
use crate::measure::LatencySummary;
use crate::run::RunResult;
use crate::workload::{KeyDistribution, MessageSizes};

/// The JSON record of one run.
pub fn run_record(config: &RunConfig, result: &RunResult) -> Value {
    let mut record = envelope(config);
    record["result"] = result_json(result);
    // The headline figures also sit at the top level, where scripts look first.
    record["throughput"] = record["result"]["throughput"].clone();
    record["latency_us"] = record["result"]["latency_us"].clone();
    record["errors"] = record["result"]["errors"].clone();
    record
}

/// The JSON record of a sweep: one result per rate, plus the closed-loop peak if measured.
pub fn sweep_record(config: &RunConfig, peak: Option<&RunResult>, points: &[SweepPoint]) -> Value {
    let mut record = envelope(config);
    record["mode"] = json!("sweep");
    if let Some(peak) = peak {
        record["peak"] = result_json(peak);
    }
    record["sweep"] = Value::Array(
        points
            .iter()
            .map(|p| {
                let mut entry = result_json(&p.result);
                entry["target_rate_msgs_per_s"] = json!(p.target_rate_per_s);
                entry
            })
            .collect(),
    );
    record
}

/// Writes `value` to `path`, pretty-printed.
pub fn write_json(path: &Path, value: &Value) -> Result<(), LoadgenError> {
    let text = serde_json::to_string_pretty(value).expect("JSON values always serialise");
    std::fs::write(path, text + "\n")
        .map_err(|source| LoadgenError::Output { path: path.to_owned(), source })
}

fn envelope(config: &RunConfig) -> Value {
    json!({
        "tool": "sluice-loadgen",
        "version": env!("CARGO_PKG_VERSION"),
        "git_commit": git_commit(),
        "date_utc": rfc3339_utc(SystemTime::now()),
        "machine": MachineInfo::current(),
        "mode": if config.is_open_loop() { "open_loop" } else { "closed_loop" },
        "config": config_json(config),
    })
}

fn config_json(config: &RunConfig) -> Value {
    let sizes = match config.sizes {
        MessageSizes::Fixed(b) => json!({ "fixed_bytes": b }),
        MessageSizes::Uniform { min, max } => {
            json!({ "uniform_min_bytes": min, "uniform_max_bytes": max })
        }
    };
    let keys = match config.keys {
        KeyDistribution::None => json!("none"),
        KeyDistribution::Uniform { keys } => json!(format!("uniform:{keys}")),
        KeyDistribution::Zipf { keys, exponent } => json!(format!("zipf:{keys}:{exponent}")),
    };
    json!({
        "broker": config.broker,
        "topic": config.topic,
        "partitions": config.partitions,
        "flush_policy_on_create": config.flush.as_ref().map(flush_policy_name),
        "producers": config.producers,
        "consumers": config.consumers,
        "message_size": sizes,
        "keys": keys,
        "batch_messages_max": config.batch.messages_max,
        "batch_bytes_max": config.batch.bytes_max,
        "linger_ms": config.batch.linger_ns as f64 / 1e6,
        "max_in_flight": config.max_in_flight,
        "buffer_bytes": config.buffer_bytes,
        "acks": acks_name(config.acks),
        "rate_msgs_per_s": config.rate_per_s,
        "duration_s": config.duration.as_secs_f64(),
        "warmup_s": config.warmup.as_secs_f64(),
        "cores": config.cores,
        "seed": config.seed,
    })
}

fn summary_json(summary: &LatencySummary) -> Value {
    serde_json::to_value(summary).expect("summaries serialise")
}

fn result_json(result: &RunResult) -> Value {
    let mut latency = json!({ "produce_ack": summary_json(&result.produce_summary()) });
    if !result.end_to_end.is_empty() {
        latency["end_to_end"] = summary_json(&result.end_to_end_summary());
    }
    let timeline: Vec<Value> = result
        .intervals
        .iter()
        .map(|i| {
            json!({
                "t_s": i.start_s + i.length_s,
                "warmup": i.warmup,
                "msgs_per_s": i.counts.acked_msgs as f64 / i.length_s,
                "mb_per_s": i.counts.acked_bytes as f64 / i.length_s / 1e6,
                "consumed_msgs_per_s": i.counts.consumed_msgs as f64 / i.length_s,
                "produce_ack_p99_us": if i.produce.is_empty() { 0 } else { i.produce.value_at_quantile(0.99) },
                "end_to_end_p99_us": if i.end_to_end.is_empty() { 0 } else { i.end_to_end.value_at_quantile(0.99) },
            })
        })
        .collect();
    json!({
        "target_rate_msgs_per_s": result.target_rate_per_s,
        "measured_s": result.measured_s,
        "throughput": {
            "msgs_per_s": result.msgs_per_s(),
            "mb_per_s": result.mb_per_s(),
            "acked_msgs": result.measured.acked_msgs,
            "acked_bytes": result.measured.acked_bytes,
            "sent_msgs": result.measured.sent_msgs,
            "consumed_msgs_per_s": result.measured.consumed_msgs as f64 / result.measured_s,
            "consumed_mb_per_s": result.measured.consumed_bytes as f64 / result.measured_s / 1e6,
        },
        "latency_us": latency,
        "errors": result.errors,
        "error_samples": result.error_samples,
        "schedule": {
            "kept_up": result.kept_up(),
            "lag_ms_max": result.lag_ns_max as f64 / 1e6,
            "unsent_msgs": result.unsent_msgs,
        },
        "partitions": result.layout.partitions(),
        "partition_shards": result.layout.partition_shards,
        "timeline": timeline,
    })
}

/// `2026-11-22T03:04:05Z` for `time` (UTC, whole seconds).
pub fn rfc3339_utc(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn given_known_instants_when_formatting_should_give_rfc3339_utc() {
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_230_245);
        assert_eq!(rfc3339_utc(t), "2026-11-21T03:04:05Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339_utc(leap), "2000-02-29T00:00:00Z");
    }
}
