//! Byte positions of the Kafka RecordBatch v2 header (all integers big-endian).
//!
//! ```text
//! offset  size  field
//!      0     8  base_offset            rewritten by the broker; outside the CRC
//!      8     4  batch_length           bytes after this field (total length - 12)
//!     12     4  partition_leader_epoch outside the CRC
//!     16     1  magic                  always 2
//!     17     4  crc                    CRC-32C (Castagnoli) of bytes 21..end
//!     21     2  attributes             compression (bits 0-2), timestamp type (3),
//!                                      transactional (4), control (5)
//!     23     4  last_offset_delta
//!     27     8  base_timestamp
//!     35     8  max_timestamp
//!     43     8  producer_id
//!     51     2  producer_epoch
//!     53     4  base_sequence
//!     57     4  records_count
//!     61     …  records
//! ```

/// Offset of `base_offset` (i64).
pub const BASE_OFFSET: usize = 0;
/// Offset of `batch_length` (i32).
pub const BATCH_LENGTH: usize = 8;
/// Offset of `partition_leader_epoch` (i32).
pub const PARTITION_LEADER_EPOCH: usize = 12;
/// Offset of `magic` (i8).
pub const MAGIC: usize = 16;
/// Offset of `crc` (u32).
pub const CRC: usize = 17;
/// Offset of `attributes` (i16); the CRC covers everything from here to the end.
pub const ATTRIBUTES: usize = 21;
/// Offset of `last_offset_delta` (i32).
pub const LAST_OFFSET_DELTA: usize = 23;
/// Offset of `base_timestamp` (i64).
pub const BASE_TIMESTAMP: usize = 27;
/// Offset of `max_timestamp` (i64).
pub const MAX_TIMESTAMP: usize = 35;
/// Offset of `producer_id` (i64).
pub const PRODUCER_ID: usize = 43;
/// Offset of `producer_epoch` (i16).
pub const PRODUCER_EPOCH: usize = 51;
/// Offset of `base_sequence` (i32).
pub const BASE_SEQUENCE: usize = 53;
/// Offset of `records_count` (i32).
pub const RECORDS_COUNT: usize = 57;
/// Length of the fixed header; records start here.
pub const HEADER_LEN: usize = 61;

/// Bytes before and including `batch_length`, which `batch_length` does not count.
pub const LOG_OVERHEAD: usize = 12;
/// Where the CRC-covered region starts.
pub const CRC_START: usize = ATTRIBUTES;
/// The only magic value Sluice accepts.
pub const MAGIC_V2: i8 = 2;

/// Mask of the compression codec bits in `attributes`.
pub const ATTR_COMPRESSION_MASK: i16 = 0x07;
/// Timestamp type bit: 0 = create time, 1 = log-append time.
pub const ATTR_TIMESTAMP_TYPE: i16 = 0x08;
/// Transactional batch bit.
pub const ATTR_TRANSACTIONAL: i16 = 0x10;
/// Control batch bit.
pub const ATTR_CONTROL: i16 = 0x20;

/// Smallest legal `batch_length`: a header with no records.
pub const BATCH_LENGTH_MIN: i32 = (HEADER_LEN - LOG_OVERHEAD) as i32;

const _: () = assert!(RECORDS_COUNT + 4 == HEADER_LEN);
const _: () = assert!(CRC + 4 == ATTRIBUTES);
const _: () = assert!(BATCH_LENGTH + 4 == LOG_OVERHEAD);
