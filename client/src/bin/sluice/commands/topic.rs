//! `sluice topic create|delete|list|describe`.

use std::io::Write;

use sluice_client::blocking::Admin;
use sluice_client::{FlushPolicy, TopicConfig};

use crate::{CreateArgs, Failure, TopicCommand};

/// A parsed `--flush-policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushSetting {
    policy: FlushPolicy,
    interval_ms: Option<u64>,
}

/// Parses `always`, `never` or `interval=MS`.
pub fn parse_flush_policy(text: &str) -> Result<FlushSetting, String> {
    match text {
        "always" => Ok(FlushSetting { policy: FlushPolicy::Always, interval_ms: None }),
        "never" => Ok(FlushSetting { policy: FlushPolicy::Never, interval_ms: None }),
        other => {
            let ms = other
                .strip_prefix("interval=")
                .and_then(|ms| ms.parse::<u64>().ok())
                .filter(|ms| *ms > 0)
                .ok_or_else(|| {
                    format!("\"{other}\" is not always, never or interval=MS (MS > 0)")
                })?;
            Ok(FlushSetting { policy: FlushPolicy::Interval, interval_ms: Some(ms) })
        }
    }
}

pub fn run(broker: &str, command: TopicCommand) -> Result<(), Failure> {
    let admin = Admin::connect(broker)?;
    let mut out = std::io::stdout().lock();
    match command {
        TopicCommand::Create(args) => create(&admin, args),
        TopicCommand::Delete { name } => Ok(admin.delete_topic(&name)?),
        TopicCommand::List => {
            for topic in admin.list_topics()? {
                writeln!(out, "{}\t{}", topic.name, topic.partition_count)?;
            }
            Ok(())
        }
        TopicCommand::Describe { name } => {
            let topic = admin.describe_topic(&name)?;
            let config = &topic.config;
            let show = |value: Option<i64>| value.map_or("default".to_owned(), |v| v.to_string());
            let flush = match (config.flush_policy, config.flush_interval_ms) {
                (Some(FlushPolicy::Interval), Some(ms)) => format!("interval={ms}"),
                (Some(FlushPolicy::Interval), None) => "interval".to_owned(),
                (Some(FlushPolicy::Always), _) => "always".to_owned(),
                (Some(FlushPolicy::Never), _) => "never".to_owned(),
                (None, _) => "default".to_owned(),
            };
            writeln!(
                out,
                "topic {} partitions {} retention-bytes {} retention-ms {} flush-policy {}",
                topic.name,
                topic.partitions.len(),
                show(config.retention_bytes),
                show(config.retention_ms),
                flush
            )?;
            writeln!(out, "partition\tshard\tlog-start\tlog-end")?;
            for partition in &topic.partitions {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    partition.partition,
                    partition.shard_id,
                    partition.log_start_offset,
                    partition.log_end_offset
                )?;
            }
            Ok(())
        }
    }
}

fn create(admin: &Admin, args: CreateArgs) -> Result<(), Failure> {
    let config = TopicConfig {
        partitions: args.partitions,
        retention_bytes: args.retention_bytes,
        retention_ms: args.retention_ms,
        flush_policy: args.flush_policy.map(|f| f.policy),
        flush_interval_ms: args.flush_policy.and_then(|f| f.interval_ms),
        ..TopicConfig::default()
    };
    Ok(admin.create_topic_with(&args.name, config)?)
}
