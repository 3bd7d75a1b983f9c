//! The validated description of one run, built from the command line.

use std::time::Duration;

use sluice_proto::message::{Acks, FlushPolicy};

use crate::error::ConfigError;
use crate::schedule::BatchLimits;
use crate::wire::admin::CreateFlushPolicy;
use crate::workload::{KeyDistribution, MessageSizes};

/// Everything one run needs.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Broker client address (host:port).
    pub broker: String,
    /// Topic produced to and consumed from.
    pub topic: String,
    /// Partitions of the topic when it has to be created.
    pub partitions: u32,
    /// Flush policy of the topic when it has to be created (`None`: the broker's default).
    pub flush: Option<CreateFlushPolicy>,
    /// Producer tasks.
    pub producers: u32,
    /// Consumer tasks (0: no end-to-end latency).
    pub consumers: u32,
    /// Value sizes.
    pub sizes: MessageSizes,
    /// Keys.
    pub keys: KeyDistribution,
    /// Batch size limits and linger.
    pub batch: BatchLimits,
    /// Produce requests in flight per producer.
    pub max_in_flight: u32,
    /// Acknowledgement level.
    pub acks: Acks,
    /// Open-loop target rate over all producers (messages per second); `None` is closed loop.
    pub rate_per_s: Option<f64>,
    /// Measured time.
    pub duration: Duration,
    /// Warm-up before the measured window.
    pub warmup: Duration,
    /// CPUs worker threads are pinned to, one executor each; empty: one unpinned executor.
    pub cores: Vec<usize>,
    /// Seed of the key and size generators.
    pub seed: u64,
    /// Print one progress line per second.
    pub progress: bool,
}

impl RunConfig {
    /// Checks relations between fields that clap cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if self.producers == 0 {
            return invalid("--producers must be at least 1");
        }
        if self.partitions == 0 {
            return invalid("--partitions must be at least 1");
        }
        if self.max_in_flight == 0 {
            return invalid("--max-in-flight must be at least 1");
        }
        if self.batch.messages_max == 0 || self.batch.bytes_max == 0 {
            return invalid("batch limits must be at least 1");
        }
        // Half the protocol's batch cap leaves room for record framing and keys.
        if self.batch.bytes_max > (sluice_proto::limits::BATCH_BYTES_MAX / 2) as u64 {
            return invalid(
                "--batch-bytes must be at most 4194304 (half the protocol's batch cap)",
            );
        }
        if self.batch.messages_max != u64::MAX
            && self.batch.messages_max > sluice_proto::limits::BATCH_RECORDS_MAX as u64
        {
            return invalid("--batch-messages must be at most 1048576");
        }
        if self.duration.is_zero() {
            return invalid("--duration must be positive");
        }
        if let Some(rate) = self.rate_per_s {
            if !(rate.is_finite() && rate > 0.0) {
                return invalid("--rate must be positive");
            }
        }
        Ok(())
    }

    /// Whether the run paces sends (open loop).
    pub fn is_open_loop(&self) -> bool {
        self.rate_per_s.is_some()
    }
}

/// Parses `none`, `leader` or `all`.
pub fn parse_acks(text: &str) -> Result<Acks, ConfigError> {
    match text {
        "none" | "0" => Ok(Acks::None),
        "leader" | "1" => Ok(Acks::Leader),
        "all" | "-1" => Ok(Acks::All),
        _ => Err(ConfigError::Acks(text.to_owned())),
    }
}

/// The name of an acks level, as accepted by [`parse_acks`].
pub fn acks_name(acks: Acks) -> &'static str {
    match acks {
        Acks::None => "none",
        Acks::Leader => "leader",
        Acks::All => "all",
    }
}

/// Parses `always`, `never` or `interval=MS`.
pub fn parse_flush_policy(text: &str) -> Result<CreateFlushPolicy, ConfigError> {
    let bad = || ConfigError::FlushPolicy(text.to_owned());
    match text {
        "always" => Ok(CreateFlushPolicy { policy: FlushPolicy::Always, interval_ms: None }),
        "never" => Ok(CreateFlushPolicy { policy: FlushPolicy::Never, interval_ms: None }),
        _ => {
            let ms = text.strip_prefix("interval=").ok_or_else(bad)?;
            let ms = ms.parse::<u64>().map_err(|_| bad())?;
            Ok(CreateFlushPolicy { policy: FlushPolicy::Interval, interval_ms: Some(ms) })
        }
    }
}

/// The text form of a create-time flush policy.
pub fn flush_policy_name(flush: &CreateFlushPolicy) -> String {
    match (flush.policy, flush.interval_ms) {
        (FlushPolicy::Always, _) => "always".into(),
        (FlushPolicy::Never, _) => "never".into(),
        (FlushPolicy::Interval, ms) => format!("interval={}", ms.unwrap_or_default()),
    }
}

/// Parses a CPU list: `1`, `0,2`, `2-5`, `0,2-3`.
pub fn parse_cores(text: &str) -> Result<Vec<usize>, ConfigError> {
    let bad = || ConfigError::Cores(text.to_owned());
    let mut cores = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            None => cores.push(part.parse().map_err(|_| bad())?),
            Some((a, b)) => {
                let (a, b): (usize, usize) =
                    (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
                if a > b || b - a > 1024 {
                    return Err(bad());
                }
                cores.extend(a..=b);
            }
        }
    }
    if cores.is_empty() {
        return Err(bad());
    }
    Ok(cores)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_cpu_lists_when_parsing_should_expand_ranges_and_reject_garbage() {
        assert_eq!(parse_cores("1").unwrap(), vec![1]);
        assert_eq!(parse_cores("0,2-4").unwrap(), vec![0, 2, 3, 4]);
        assert!(parse_cores("").is_err());
        assert!(parse_cores("3-1").is_err());
        assert!(parse_cores("a").is_err());
    }

    #[test]
    fn given_flush_specs_when_parsing_should_round_trip_their_names() {
        for spec in ["always", "never", "interval=5"] {
            assert_eq!(flush_policy_name(&parse_flush_policy(spec).unwrap()), spec);
        }
        assert!(parse_flush_policy("sometimes").is_err());
        assert_eq!(parse_acks("leader").unwrap(), Acks::Leader);
        assert!(parse_acks("two").is_err());
    }
}
