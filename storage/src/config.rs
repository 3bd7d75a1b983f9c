//! Topic-level log configuration: segment size and age, retention, flush policy.

use std::str::FromStr;

use sluice_proto::limits::BATCH_BYTES_MAX;

use crate::error::StorageError;

/// Direct I/O block size: every write the log issues starts and ends on a multiple of this.
pub const DMA_BLOCK_BYTES: u64 = 4096;

/// Largest segment: index entries store file positions as `u32`.
pub const SEGMENT_BYTES_LIMIT: u64 = 1 << 30;
/// Largest appender chunk: an active log holds a few chunks of memory.
pub const WRITE_BEHIND_BYTES_LIMIT: u64 = 64 << 20;

const _: () = assert!(BATCH_BYTES_MAX as u64 <= SEGMENT_BYTES_LIMIT);
const _: () = assert!(SEGMENT_BYTES_LIMIT <= u32::MAX as u64);

/// When appended bytes are made durable with `fdatasync`. See the crate docs for exactly what an
/// acknowledgement promises under each policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FlushPolicy {
    /// An append resolves only after its bytes are written and fdatasynced. Appends arriving
    /// while an fdatasync is in flight share the next one (group commit).
    #[default]
    Always,
    /// Appends resolve once their bytes are in the log's memory; the log writes and fdatasyncs
    /// everything appended at least every `interval_ms`.
    Interval {
        /// Longest time between an append and the fdatasync that covers it.
        interval_ms: u64,
    },
    /// Appends resolve once their bytes are in the log's memory; bytes are written when the
    /// write-behind buffer fills and fdatasynced only on segment roll, `flush()` and `close()`.
    Never,
}

impl FromStr for FlushPolicy {
    type Err = StorageError;

    /// Parses `always`, `never` or `interval=<ms>`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "always" => Ok(FlushPolicy::Always),
            "never" => Ok(FlushPolicy::Never),
            other => {
                let ms = other
                    .strip_prefix("interval=")
                    .and_then(|ms| ms.parse::<u64>().ok())
                    .filter(|ms| *ms > 0)
                    .ok_or_else(|| {
                        StorageError::InvalidConfig(format!(
                            "flush policy {other:?} is not always, never or interval=<ms>"
                        ))
                    })?;
                Ok(FlushPolicy::Interval { interval_ms: ms })
            }
        }
    }
}

impl std::fmt::Display for FlushPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlushPolicy::Always => write!(f, "always"),
            FlushPolicy::Interval { interval_ms } => write!(f, "interval={interval_ms}"),
            FlushPolicy::Never => write!(f, "never"),
        }
    }
}

/// Per-topic log configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogConfig {
    /// A segment rolls before an append would take it past this many bytes.
    pub segment_bytes_max: u64,
    /// A segment rolls once a batch's max timestamp is this far past the segment's first batch.
    pub segment_age_ms_max: u64,
    /// Retention deletes the oldest closed segments while the log is bigger than this.
    pub retention_bytes_max: Option<u64>,
    /// Retention deletes closed segments whose newest batch is older than this.
    pub retention_age_ms_max: Option<u64>,
    /// When appends become durable.
    pub flush_policy: FlushPolicy,
    /// An offset index entry is added after at least this many bytes since the last one.
    pub index_interval_bytes: u64,
    /// Size of the appender's DMA chunks (rounded up to whole blocks). Under `never` and
    /// `interval` each chunk is written in the background as soon as it is full. Smaller chunks
    /// mean more, smaller writes, one at a time; the default (1 MiB) is measured against
    /// 256 KiB and 4 MiB in perf/README.md.
    pub write_behind_bytes: u64,
    /// Bytes a catch-up read fetches from disk at least, so sequential readers hit memory.
    pub read_ahead_bytes: u64,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            segment_bytes_max: 256 * 1024 * 1024,
            segment_age_ms_max: 7 * 24 * 3600 * 1000,
            retention_bytes_max: None,
            retention_age_ms_max: Some(7 * 24 * 3600 * 1000),
            flush_policy: FlushPolicy::Always,
            index_interval_bytes: 4096,
            write_behind_bytes: 1024 * 1024,
            read_ahead_bytes: 256 * 1024,
        }
    }
}

impl LogConfig {
    /// Checks the relations between the settings.
    pub fn validate(&self) -> Result<(), StorageError> {
        let bad = |why: String| Err(StorageError::InvalidConfig(why));
        if self.segment_bytes_max < DMA_BLOCK_BYTES || self.segment_bytes_max > SEGMENT_BYTES_LIMIT
        {
            return bad(format!(
                "segment_bytes_max {} is outside [{DMA_BLOCK_BYTES}, {SEGMENT_BYTES_LIMIT}]",
                self.segment_bytes_max
            ));
        }
        if self.segment_age_ms_max == 0 {
            return bad("segment_age_ms_max must be positive".into());
        }
        if self.index_interval_bytes == 0 {
            return bad("index_interval_bytes must be positive".into());
        }
        if !(DMA_BLOCK_BYTES..=WRITE_BEHIND_BYTES_LIMIT).contains(&self.write_behind_bytes) {
            return bad(format!(
                "write_behind_bytes {} is outside [{DMA_BLOCK_BYTES}, {WRITE_BEHIND_BYTES_LIMIT}]",
                self.write_behind_bytes
            ));
        }
        if let FlushPolicy::Interval { interval_ms: 0 } = self.flush_policy {
            return bad("flush interval must be positive".into());
        }
        Ok(())
    }

    /// Bytes preallocated for a new segment: a full segment, rounded up to whole blocks. Writes
    /// inside a preallocated file need no new blocks, so a full disk shows up when a segment is
    /// created (or, for a single batch bigger than a segment, when its room is reserved), never
    /// in the middle of a write.
    pub fn segment_preallocate_bytes(&self) -> u64 {
        self.segment_bytes_max.div_ceil(DMA_BLOCK_BYTES) * DMA_BLOCK_BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_policy_strings_when_parsing_should_round_trip() {
        for text in ["always", "never", "interval=250"] {
            let policy: FlushPolicy = text.parse().expect("valid policy");
            assert_eq!(policy.to_string(), text);
        }
        assert!("interval=0".parse::<FlushPolicy>().is_err());
        assert!("sometimes".parse::<FlushPolicy>().is_err());
    }

    #[test]
    fn given_default_config_when_validating_should_pass() {
        LogConfig::default().validate().expect("default is valid");
        let tiny = LogConfig { segment_bytes_max: 1, ..LogConfig::default() };
        assert!(tiny.validate().is_err());
    }
}
