//! Producer and consumer settings. Every limit has a unit in its name and a default that suits
//! a local broker; all of them are plain public fields so a caller sets only what it cares about.

use std::time::Duration;

use sluice_proto::message::Acks;

use crate::error::{ClientError, Result};

/// The address used when none is given: the broker's default listener.
pub const DEFAULT_BROKER: &str = "127.0.0.1:9292";

/// What a producer does when its buffer is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufferFullPolicy {
    /// Wait for room for up to this long, then fail the send with
    /// [`ClientError::BufferFull`]. `Duration::ZERO` fails at once.
    WaitUpTo(Duration),
    /// Wait for room as long as it takes.
    WaitForever,
}

/// Producer settings.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// Acknowledgement level asked of the broker.
    pub acks: Acks,
    /// A partition's batch is sent once it holds this many bytes...
    pub batch_bytes_max: usize,
    /// ...or once its first record has waited this long.
    pub linger: Duration,
    /// Bytes of records buffered (unsent or unacknowledged) across all partitions.
    pub buffer_bytes_max: usize,
    /// What `send` does when the buffer is full.
    pub buffer_full: BufferFullPolicy,
    /// Attempts per batch, the first included, before its records fail.
    pub attempts_max: u32,
    /// A record fails if it is not acknowledged this long after `send`.
    pub delivery_timeout: Duration,
    /// Back-off before the first retry; doubled on each further retry...
    pub retry_backoff_initial: Duration,
    /// ...up to this.
    pub retry_backoff_max: Duration,
    /// Requests one connection may have awaiting a response.
    pub in_flight_per_connection_max: usize,
    /// Batches of one partition that may be awaiting a response at once. With 1 (the
    /// default) a partition's records are stored in `send` order even across retries. Above 1
    /// a single partition is pipelined (throughput no longer waits a round trip per batch),
    /// but a batch that fails and is retried while a later batch of its partition succeeds is
    /// stored after it, as in Kafka with `max.in.flight.requests.per.connection > 1` and no
    /// idempotence. Retried batches are still resent in the order they were sealed.
    pub in_flight_per_partition_max: usize,
    /// Produce request timeout passed to the broker.
    pub request_timeout: Duration,
    /// Send each partition's batches straight to its owning shard (from metadata) rather than
    /// the shared port.
    pub shard_aware: bool,
    /// Fill in the idempotent-producer header fields (id, epoch, per-partition sequence).
    pub idempotence: Option<IdempotenceConfig>,
    /// Seed of the sticky partitioner's choice of partition for unkeyed records.
    pub sticky_seed: u64,
}

/// The producer identity written into every batch when idempotence is enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdempotenceConfig {
    /// Producer id.
    pub producer_id: i64,
    /// Producer epoch.
    pub producer_epoch: i16,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            acks: Acks::All,
            batch_bytes_max: 256 * 1024,
            linger: Duration::from_millis(5),
            buffer_bytes_max: 32 * 1024 * 1024,
            buffer_full: BufferFullPolicy::WaitUpTo(Duration::from_secs(60)),
            attempts_max: 20,
            delivery_timeout: Duration::from_secs(120),
            retry_backoff_initial: Duration::from_millis(20),
            retry_backoff_max: Duration::from_secs(1),
            in_flight_per_connection_max: 8,
            in_flight_per_partition_max: 1,
            request_timeout: Duration::from_secs(30),
            shard_aware: true,
            idempotence: None,
            sticky_seed: 0x5eed,
        }
    }
}

impl ProducerConfig {
    /// Checks the relations between limits.
    pub fn validate(&self) -> Result<()> {
        let invalid = |what: &str| Err(ClientError::InvalidConfig(what.to_owned()));
        if self.batch_bytes_max == 0 || self.batch_bytes_max > sluice_proto::limits::BATCH_BYTES_MAX
        {
            return invalid("batch_bytes_max must be in 1..=BATCH_BYTES_MAX");
        }
        if self.buffer_bytes_max < self.batch_bytes_max {
            return invalid("buffer_bytes_max must be at least batch_bytes_max");
        }
        if self.retry_backoff_initial.is_zero()
            || self.retry_backoff_max < self.retry_backoff_initial
        {
            // A zero back-off would resend a failing batch in a tight loop.
            return invalid("retry back-off must be above zero and max at least initial");
        }
        if self.attempts_max == 0 {
            return invalid("attempts_max must be at least 1");
        }
        if self.in_flight_per_connection_max == 0 {
            return invalid("in_flight_per_connection_max must be at least 1");
        }
        if self.in_flight_per_partition_max == 0 {
            return invalid("in_flight_per_partition_max must be at least 1");
        }
        Ok(())
    }
}

/// Where a consumer starts reading a partition that has no position yet, and where it resets
/// to when its position falls outside the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetReset {
    /// The oldest record still kept.
    Earliest,
    /// The end of the log: only records produced from now on.
    Latest,
}

/// Consumer settings.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// Where a freshly assigned partition starts.
    pub offset_reset: OffsetReset,
    /// Longest a fetch waits at the broker for data (the long poll).
    pub fetch_wait_max: Duration,
    /// Bytes asked for per partition per fetch.
    pub partition_fetch_bytes_max: u32,
    /// Bytes asked for per fetch request.
    pub fetch_bytes_max: u32,
    /// Records one `poll` returns at most.
    pub poll_records_max: usize,
    /// Bytes of fetched records buffered before fetching pauses.
    pub buffer_bytes_max: usize,
    /// Back-off after a failed fetch or metadata request.
    pub retry_backoff: Duration,
    /// Fetch straight from each partition's owning shard.
    pub shard_aware: bool,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            offset_reset: OffsetReset::Latest,
            fetch_wait_max: Duration::from_millis(500),
            partition_fetch_bytes_max: 1024 * 1024,
            fetch_bytes_max: 16 * 1024 * 1024 - 64 * 1024,
            poll_records_max: 10_000,
            buffer_bytes_max: 64 * 1024 * 1024,
            retry_backoff: Duration::from_millis(50),
            shard_aware: true,
        }
    }
}
