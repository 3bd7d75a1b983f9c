//! Record batches in the Kafka RecordBatch v2 byte layout, exactly.
//!
//! The broker validates a batch's header and CRC, stamps its base offset (outside the CRC),
//! stores the very same bytes and serves them unchanged. See `proto/README.md` for the layout
//! and [`layout`] for the byte positions.
//!
//! - [`header`]: the fixed 61-byte header: parse, validate (header + CRC), seal, stamp.
//! - [`varint`]: the zigzag varints records are made of.
//! - [`builder`]: appends records into one reusable buffer and seals a batch.
//! - [`reader`]: zero-copy iteration over the batches in a buffer and the records in a batch.

pub mod builder;
pub mod header;
pub mod layout;
pub mod reader;
pub mod varint;

pub use builder::{BatchBuilder, BuildError};
pub use header::{seal_crc, set_base_offset, set_partition_leader_epoch, validate, BatchHeader};
pub use reader::{Batch, BatchReader, BatchSlices, Batches, Header, Headers, Record, Records};
pub use varint::VarintError;

/// Which length-prefixed field of a record a [`BatchError::BadFieldLength`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordField {
    /// The record key.
    Key,
    /// The record value.
    Value,
    /// The number of headers.
    HeaderCount,
    /// A header key (which may not be null).
    HeaderKey,
    /// A header value.
    HeaderValue,
}

impl std::fmt::Display for RecordField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RecordField::Key => "key",
            RecordField::Value => "value",
            RecordField::HeaderCount => "header count",
            RecordField::HeaderKey => "header key",
            RecordField::HeaderValue => "header value",
        })
    }
}

/// Why a byte string is not a valid record batch.
///
/// Record-level variants carry `record`, the index of the offending record within its batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
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
    /// `base_offset` is negative, or its last offset does not fit an `i64`.
    #[error("invalid base offset {0}")]
    BadBaseOffset(i64),
    /// The batch is compressed; Sluice stores and serves only uncompressed batches for now.
    #[error("unsupported compression codec {0} (only uncompressed batches are supported)")]
    UnsupportedCompression(u8),
    /// A record's length prefix, or the length it declares, runs past the end of the batch.
    #[error("record {record} runs past the end of the batch")]
    RecordTruncated {
        /// Index of the record in its batch.
        record: u32,
    },
    /// A record's length prefix is negative.
    #[error("record {record} has invalid length {length}")]
    BadRecordLength {
        /// Index of the record in its batch.
        record: u32,
        /// The declared length.
        length: i32,
    },
    /// A record's fields end before, or need more than, the length the record declares.
    #[error("record {record} fields do not fill exactly its declared length {declared}")]
    RecordLengthMismatch {
        /// Index of the record in its batch.
        record: u32,
        /// The declared length.
        declared: i32,
    },
    /// A varint inside a record has more bytes or bits than its integer type.
    #[error("record {record} has a bad varint: {error}")]
    BadVarint {
        /// Index of the record in its batch.
        record: u32,
        /// What is wrong with it.
        error: VarintError,
    },
    /// A length is negative other than the -1 that means null (or -1 where null is not allowed).
    #[error("record {record} has invalid {field} length {length}")]
    BadFieldLength {
        /// Index of the record in its batch.
        record: u32,
        /// Which field.
        field: RecordField,
        /// The declared length.
        length: i32,
    },
    /// A record's offset delta is negative, not above the previous one, or past
    /// `last_offset_delta`.
    #[error("record {record} has invalid offset delta {offset_delta}")]
    BadOffsetDelta {
        /// Index of the record in its batch.
        record: u32,
        /// The offset delta found.
        offset_delta: i32,
    },
    /// The batch's records ended before `records_count` of them were read.
    #[error("batch declares {declared} records but holds {found}")]
    RecordCountMismatch {
        /// `records_count` from the header.
        declared: i32,
        /// Records actually present.
        found: u32,
    },
    /// Bytes follow the last declared record inside the batch, or follow the batch where one
    /// whole batch was expected.
    #[error("{bytes} unexpected bytes after the last record")]
    TrailingBytes {
        /// How many.
        bytes: usize,
    },
}
