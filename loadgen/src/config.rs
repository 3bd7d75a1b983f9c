//! The validated description of one run, built from the command line.

use std::time::Duration;

use sluice_client::{Acks, BufferFullPolicy, FlushPolicy, ProducerConfig, ProducerRecord};
use sluice_proto::record_batch::BatchBuilder;

use crate::error::ConfigError;
use crate::workload::{KeyChooser, KeyDistribution, MessageSizes};

/// Batch header bytes of a RecordBatch v2, before the first record.
const BATCH_HEADER_BYTES: usize = 61;
/// Room for a record's timestamp delta to grow within a batch beyond the first record's (a
/// varlong of up to 2^27 ms takes 4 bytes more than a zero delta).
const TIMESTAMP_DELTA_SLACK_BYTES: usize = 4;

/// How large a batch may grow and how long its first message may wait for company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Most messages in one batch (`u64::MAX`: as many as `bytes_max` allows).
    pub messages_max: u64,
    /// Most encoded bytes in one batch (the SDK's `batch_bytes_max`).
    pub bytes_max: u64,
    /// How long a partition's open batch may wait to fill before it is sent; 0 sends at once.
    pub linger_ns: u64,
}

impl BatchLimits {
    /// The batch byte size handed to the SDK: `bytes_max`, or less when `messages_max` asks
    /// for fewer messages. `messages_max` messages of the largest value (and key) fit it,
    /// header and per-record framing included, so the SDK seals a batch after that many
    /// messages of the largest size (more, if messages are smaller).
    pub fn producer_batch_bytes(&self, value_bytes_max: u64, key_bytes_max: u64) -> usize {
        let bytes_max = self.bytes_max as usize;
        if self.messages_max == u64::MAX {
            return bytes_max;
        }
        let key = vec![0u8; key_bytes_max as usize];
        let value = vec![0u8; value_bytes_max as usize];
        let key = (key_bytes_max > 0).then_some(&key[..]);
        let record = BatchBuilder::new().record_encoded_len::<&[u8]>(0, key, Some(&value), &[])
            + TIMESTAMP_DELTA_SLACK_BYTES;
        let by_messages =
            (self.messages_max as usize).saturating_mul(record).saturating_add(BATCH_HEADER_BYTES);
        bytes_max.min(by_messages)
    }
}

/// The flush policy a created topic gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateFlushPolicy {
    /// The policy.
    pub policy: FlushPolicy,
    /// For `Interval`: the interval.
    pub interval_ms: Option<u64>,
}

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
    /// Produce requests in flight per producer connection.
    pub max_in_flight: u32,
    /// Bytes a producer may hold unacknowledged (`None`: enough for `max_in_flight + 1`
    /// batches per partition).
    pub buffer_bytes: Option<u64>,
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
        if self.buffer_bytes == Some(0) {
            return invalid("--buffer-bytes must be at least 1");
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

    /// The SDK buffer room ([`ProducerRecord::buffered_bytes`]) the largest record of this
    /// run takes.
    pub fn record_buffered_bytes_max(&self) -> usize {
        let mut largest =
            ProducerRecord::new(self.topic.as_str(), vec![0u8; self.sizes.max_bytes() as usize]);
        let key_bytes = self.key_bytes_max() as usize;
        if key_bytes > 0 {
            largest = largest.with_key(vec![0u8; key_bytes]);
        }
        largest.buffered_bytes()
    }

    /// Bytes of the longest key this run sends (keys are fixed width), 0 without keys.
    fn key_bytes_max(&self) -> u64 {
        match self.keys {
            KeyDistribution::None => 0,
            _ => KeyChooser::key_bytes(0).len() as u64,
        }
    }

    /// The SDK producer settings these flags map to, for a topic of `partitions` partitions.
    ///
    /// Backpressure must reach the producer loop: a full buffer makes `send` wait (never
    /// fail), which in the open loop puts the producer behind its schedule, and that delay is
    /// charged to the messages' latency.
    pub fn producer_config(&self, partitions: u32) -> ProducerConfig {
        let batch_bytes_max =
            self.batch.producer_batch_bytes(self.sizes.max_bytes(), self.key_bytes_max());
        let record_bytes_max = self.record_buffered_bytes_max();
        let default_buffer = batch_bytes_max
            .saturating_mul(self.max_in_flight as usize + 1)
            .saturating_mul(partitions.max(1) as usize);
        let buffer_bytes_max = self
            .buffer_bytes
            .map_or(default_buffer, |b| b as usize)
            .max(batch_bytes_max)
            .max(record_bytes_max);
        ProducerConfig {
            acks: self.acks,
            batch_bytes_max,
            linger: Duration::from_nanos(self.batch.linger_ns),
            buffer_bytes_max,
            buffer_full: BufferFullPolicy::WaitForever,
            in_flight_per_connection_max: self.max_in_flight as usize,
            // A load generator measures the pipeline depth it is given, on one partition too;
            // it gives up the SDK's default strict per-partition order across retries.
            in_flight_per_partition_max: self.max_in_flight as usize,
            sticky_seed: self.seed,
            ..ProducerConfig::default()
        }
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

    #[test]
    fn given_a_message_count_when_sizing_batches_should_fit_exactly_that_many_largest_messages() {
        let limits = BatchLimits { messages_max: 10, bytes_max: 1 << 20, linger_ns: 0 };
        let bytes = limits.producer_batch_bytes(1024, 0);
        let mut builder = BatchBuilder::new();
        let value = vec![7u8; 1024];
        let mut fitted = 0;
        while builder.encoded_len()
            + builder.record_encoded_len::<&[u8]>(0, None, Some(&value), &[])
            <= bytes
        {
            builder.append(0, None, Some(&value)).unwrap();
            fitted += 1;
        }
        assert_eq!(fitted, 10);
        let unlimited = BatchLimits { messages_max: u64::MAX, ..limits };
        assert_eq!(unlimited.producer_batch_bytes(1024, 0), 1 << 20);
        let byte_bound = BatchLimits { bytes_max: 4096, ..limits };
        assert_eq!(byte_bound.producer_batch_bytes(1024, 20), 4096);
    }
}
