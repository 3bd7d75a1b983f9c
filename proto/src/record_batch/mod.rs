//! Record batches in the Kafka RecordBatch v2 byte layout, exactly.
//!
//! The broker validates a batch's header and CRC, stamps its base offset (outside the CRC),
//! stores the very same bytes and serves them unchanged. See `proto/README.md` for the layout
//! and [`layout`] for the byte positions.

pub mod header;
pub mod layout;

pub use header::{seal_crc, set_base_offset, set_partition_leader_epoch, validate, BatchHeader};

/// Why a byte string is not a valid record batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// Fewer bytes than the header or the declared length needs.
    #[error("truncated batch: have {have} bytes, need {need}")]
    Truncated {
        /// Bytes available.
        have: usize,
        /// Bytes required.
        need: usize,
    },
    /// The magic byte is not 2.
    #[error("unsupported batch magic {0} (only v2 is supported)")]
    BadMagic(i8),
    /// `batch_length` is below the header size or above the batch size limit.
    #[error("invalid batch length {0}")]
    BadLength(i32),
    /// `records_count` is negative or above the limit.
    #[error("invalid record count {0}")]
    BadRecordCount(i32),
    /// `last_offset_delta` is negative or smaller than the record count allows.
    #[error("invalid last offset delta {0}")]
    BadLastOffsetDelta(i32),
    /// The stored CRC does not match the bytes.
    #[error("batch CRC mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    CrcMismatch {
        /// CRC in the header.
        stored: u32,
        /// CRC of the bytes.
        computed: u32,
    },
}
