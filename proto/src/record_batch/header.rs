//! Parsing and checking the fixed 61-byte header of one batch: the part of the format that the
//! broker and the storage engine read on the hot path. Nothing here allocates or copies.

use super::layout::*;
use super::BatchError;
use crate::limits::{BATCH_BYTES_MAX, BATCH_RECORDS_MAX};

/// The decoded fixed header of one RecordBatch v2.
///
/// A `BatchHeader` obtained from [`BatchHeader::parse`] has a sane magic, length and record
/// count; one obtained from [`validate`] also has a matching CRC over bytes that are all present.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchHeader {
    /// Offset of the first record (assigned by the broker on append).
    pub base_offset: i64,
    /// Bytes following the `batch_length` field.
    pub batch_length: i32,
    /// Leader epoch of the partition when the batch was appended.
    pub partition_leader_epoch: i32,
    /// Stored CRC-32C of bytes 21..end.
    pub crc: u32,
    /// Compression, timestamp type, transactional and control bits.
    pub attributes: i16,
    /// Offset of the last record relative to `base_offset`.
    pub last_offset_delta: i32,
    /// Timestamp of the first record (ms since the Unix epoch).
    pub base_timestamp: i64,
    /// Largest record timestamp in the batch.
    pub max_timestamp: i64,
    /// Idempotent producer id, -1 when not idempotent.
    pub producer_id: i64,
    /// Idempotent producer epoch, -1 when not idempotent.
    pub producer_epoch: i16,
    /// Sequence number of the first record, -1 when not idempotent.
    pub base_sequence: i32,
    /// Number of records in the batch.
    pub records_count: i32,
}

impl BatchHeader {
    /// Parses the fixed header at the start of `buf`, checking magic, length and record count
    /// but not the CRC (the records may not all be in `buf` yet: recovery and framing use this
    /// to learn how many bytes the whole batch needs).
    pub fn parse(buf: &[u8]) -> Result<BatchHeader, BatchError> {
        if buf.len() < HEADER_LEN {
            return Err(BatchError::Truncated { have: buf.len(), need: HEADER_LEN });
        }
        let magic = buf[MAGIC] as i8;
        if magic != MAGIC_V2 {
            return Err(BatchError::BadMagic(magic));
        }
        let batch_length = be_i32(buf, BATCH_LENGTH);
        if batch_length < BATCH_LENGTH_MIN || batch_length as usize + LOG_OVERHEAD > BATCH_BYTES_MAX
        {
            return Err(BatchError::BadLength(batch_length));
        }
        let header = BatchHeader {
            base_offset: be_i64(buf, BASE_OFFSET),
            batch_length,
            partition_leader_epoch: be_i32(buf, PARTITION_LEADER_EPOCH),
            crc: u32::from_be_bytes(buf[CRC..CRC + 4].try_into().expect("4 bytes")),
            attributes: be_i16(buf, ATTRIBUTES),
            last_offset_delta: be_i32(buf, LAST_OFFSET_DELTA),
            base_timestamp: be_i64(buf, BASE_TIMESTAMP),
            max_timestamp: be_i64(buf, MAX_TIMESTAMP),
            producer_id: be_i64(buf, PRODUCER_ID),
            producer_epoch: be_i16(buf, PRODUCER_EPOCH),
            base_sequence: be_i32(buf, BASE_SEQUENCE),
            records_count: be_i32(buf, RECORDS_COUNT),
        };
        if header.records_count < 0 || header.records_count as usize > BATCH_RECORDS_MAX {
            return Err(BatchError::BadRecordCount(header.records_count));
        }
        // Offsets inside a batch are dense for uncompacted batches, but compaction may leave
        // gaps, so the only hard rule is that the last delta covers at least the records.
        if header.last_offset_delta < 0
            || (header.records_count > 0 && header.last_offset_delta < header.records_count - 1)
        {
            return Err(BatchError::BadLastOffsetDelta(header.last_offset_delta));
        }
        // Offsets are never negative, and the last one must be representable: checking here
        // lets every reader compute `base_offset + delta` without overflow.
        if header.base_offset < 0
            || header.base_offset.checked_add(i64::from(header.last_offset_delta)).is_none()
        {
            return Err(BatchError::BadBaseOffset(header.base_offset));
        }
        Ok(header)
    }

    /// Whole length of the batch in bytes, header included.
    pub fn total_len(&self) -> usize {
        self.batch_length as usize + LOG_OVERHEAD
    }

    /// Offset of the last record in the batch.
    pub fn last_offset(&self) -> i64 {
        self.base_offset + i64::from(self.last_offset_delta)
    }

    /// The compression codec id (0 = none, 1 = gzip, 2 = snappy, 3 = lz4, 4 = zstd).
    pub fn compression(&self) -> u8 {
        (self.attributes & ATTR_COMPRESSION_MASK) as u8
    }

    /// Whether this is a control batch (transaction markers).
    pub fn is_control(&self) -> bool {
        self.attributes & ATTR_CONTROL != 0
    }
}

/// Checks that `buf` starts with one whole, intact batch and returns its header.
///
/// `buf` may hold more bytes after the batch (several batches back to back); use
/// [`BatchHeader::total_len`] to step to the next one. The CRC is checked before anything past
/// the header is trusted.
pub fn validate(buf: &[u8]) -> Result<BatchHeader, BatchError> {
    let header = BatchHeader::parse(buf)?;
    let total = header.total_len();
    if buf.len() < total {
        return Err(BatchError::Truncated { have: buf.len(), need: total });
    }
    let computed = crc32c::crc32c(&buf[CRC_START..total]);
    if computed != header.crc {
        return Err(BatchError::CrcMismatch { stored: header.crc, computed });
    }
    Ok(header)
}

/// Computes the CRC of a whole batch and writes it into the header. Builders call this once,
/// after the last byte of the batch is in place.
pub fn seal_crc(batch: &mut [u8]) {
    assert!(batch.len() >= HEADER_LEN, "a batch is at least its header");
    let crc = crc32c::crc32c(&batch[CRC_START..]);
    batch[CRC..CRC + 4].copy_from_slice(&crc.to_be_bytes());
}

/// Stamps the broker-assigned base offset into a batch. The field is outside the CRC, so the
/// batch stays valid and no checksum is recomputed on the produce path.
pub fn set_base_offset(batch: &mut [u8], base_offset: i64) {
    assert!(batch.len() >= HEADER_LEN, "a batch is at least its header");
    assert!(base_offset >= 0, "offsets are never negative");
    batch[BASE_OFFSET..BASE_OFFSET + 8].copy_from_slice(&base_offset.to_be_bytes());
}

/// Stamps the partition leader epoch (also outside the CRC).
pub fn set_partition_leader_epoch(batch: &mut [u8], epoch: i32) {
    assert!(batch.len() >= HEADER_LEN, "a batch is at least its header");
    batch[PARTITION_LEADER_EPOCH..PARTITION_LEADER_EPOCH + 4].copy_from_slice(&epoch.to_be_bytes());
}

fn be_i16(buf: &[u8], at: usize) -> i16 {
    i16::from_be_bytes(buf[at..at + 2].try_into().expect("2 bytes"))
}

fn be_i32(buf: &[u8], at: usize) -> i32 {
    i32::from_be_bytes(buf[at..at + 4].try_into().expect("4 bytes"))
}

fn be_i64(buf: &[u8], at: usize) -> i64 {
    i64::from_be_bytes(buf[at..at + 8].try_into().expect("8 bytes"))
}
