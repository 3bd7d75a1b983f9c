//! Building a batch: records are encoded straight into one growing buffer, the header is filled
//! in and the CRC computed once, when the batch is finished.
//!
//! Each record's length prefix is computed before the record is written (every field's size is
//! known up front), so nothing is encoded twice and no per-record buffer is allocated. The
//! buffer is kept across batches: a producer reuses one builder per partition.

use bytes::{BufMut, Bytes, BytesMut};

use super::header::seal_crc;
use super::layout::*;
use super::varint::{encode_varint, encode_varlong, varint_len, varlong_len};
use crate::limits::{BATCH_BYTES_MAX, BATCH_RECORDS_MAX};

/// Kafka's "no timestamp" value, written as the timestamps of a batch with no records.
pub const NO_TIMESTAMP: i64 = -1;

/// Why a record could not be appended. The builder is unchanged when `append` fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The batch would grow past [`BATCH_BYTES_MAX`].
    #[error("batch would be {bytes} bytes, above the {bytes_max}-byte limit")]
    BatchTooLarge {
        /// Size the batch would have had with the record.
        bytes: usize,
        /// The limit.
        bytes_max: usize,
    },
    /// The batch already holds [`BATCH_RECORDS_MAX`] records.
    #[error("batch already holds the maximum of {records_max} records")]
    TooManyRecords {
        /// The limit.
        records_max: usize,
    },
}

/// Builds one uncompressed RecordBatch v2 at a time.
///
/// ```
/// use sluice_proto::record_batch::{Batch, BatchBuilder};
///
/// let mut builder = BatchBuilder::new();
/// builder.append(1_700_000_000_000, Some(b"user-1"), Some(b"hello")).unwrap();
/// builder
///     .append_with_headers(1_700_000_000_001, None, None, &[("trace", Some(&b"42"[..]))])
///     .unwrap();
/// // A producer fills to a byte budget by asking what the next record would add.
/// let next = builder.record_encoded_len::<&str>(1_700_000_000_002, None, Some(b"x"), &[]);
/// assert!(builder.encoded_len() + next < 16 * 1024);
///
/// let batch = Batch::new(builder.finish()).unwrap();
/// let first = batch.records().next().unwrap().unwrap();
/// assert_eq!(first.offset, 0);
/// assert_eq!(first.value.as_deref(), Some(&b"hello"[..]));
/// ```
///
/// Defaults match a non-idempotent Java producer: base offset 0 (the broker assigns offsets),
/// partition leader epoch -1, producer id/epoch/base sequence -1, attributes 0 (no compression,
/// create-time timestamps, not transactional). Settings persist across [`finish`](Self::finish);
/// an idempotent producer sets the next base sequence before each batch.
#[derive(Debug, Clone)]
pub struct BatchBuilder {
    /// The header's space (filled on finish) followed by the records encoded so far.
    buf: BytesMut,
    base_offset: i64,
    partition_leader_epoch: i32,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    /// Timestamp of the first record; the base all timestamp deltas are taken from.
    base_timestamp: i64,
    max_timestamp: i64,
    records_count: usize,
}

impl Default for BatchBuilder {
    fn default() -> Self {
        BatchBuilder::new()
    }
}

impl BatchBuilder {
    /// An empty builder.
    pub fn new() -> BatchBuilder {
        BatchBuilder::with_capacity(0)
    }

    /// An empty builder whose buffer starts with room for `bytes` bytes of batch.
    pub fn with_capacity(bytes: usize) -> BatchBuilder {
        let mut buf = BytesMut::with_capacity(bytes.max(HEADER_LEN));
        buf.put_bytes(0, HEADER_LEN);
        BatchBuilder {
            buf,
            base_offset: 0,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            base_timestamp: NO_TIMESTAMP,
            max_timestamp: NO_TIMESTAMP,
            records_count: 0,
        }
    }

    /// Sets the base offset written into the header (a producer leaves it 0; tests and tools
    /// that write logs directly set it).
    ///
    /// # Panics
    /// If `base_offset` is negative: offsets never are.
    pub fn set_base_offset(&mut self, base_offset: i64) -> &mut Self {
        assert!(base_offset >= 0, "offsets are never negative");
        self.base_offset = base_offset;
        self
    }

    /// Sets the partition leader epoch written into the header.
    pub fn set_partition_leader_epoch(&mut self, epoch: i32) -> &mut Self {
        self.partition_leader_epoch = epoch;
        self
    }

    /// Sets the idempotent-producer fields: producer id, epoch and the sequence number of this
    /// batch's first record.
    pub fn set_producer(
        &mut self,
        producer_id: i64,
        producer_epoch: i16,
        base_sequence: i32,
    ) -> &mut Self {
        self.producer_id = producer_id;
        self.producer_epoch = producer_epoch;
        self.base_sequence = base_sequence;
        self
    }

    /// Number of records appended since the last finish.
    pub fn records_count(&self) -> usize {
        self.records_count
    }

    /// Whether no record was appended since the last finish.
    pub fn is_empty(&self) -> bool {
        self.records_count == 0
    }

    /// Size in bytes of the batch if it were finished now, header included.
    pub fn encoded_len(&self) -> usize {
        self.buf.len()
    }

    /// Bytes that appending this record would add to [`encoded_len`](Self::encoded_len), so a
    /// producer can fill a batch up to a byte budget without overshooting.
    pub fn record_encoded_len<K: AsRef<[u8]>>(
        &self,
        timestamp_ms: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(K, Option<&[u8]>)],
    ) -> usize {
        let body = self.record_body_len(timestamp_ms, key, value, headers);
        varint_len(clamp_i32(body)) + body
    }

    /// Appends a record with no headers.
    pub fn append(
        &mut self,
        timestamp_ms: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> Result<(), BuildError> {
        self.append_with_headers::<&[u8]>(timestamp_ms, key, value, &[])
    }

    /// Appends a record. Header keys may be `&str` or `&[u8]`; a `None` key or value is null
    /// (distinct from empty).
    pub fn append_with_headers<K: AsRef<[u8]>>(
        &mut self,
        timestamp_ms: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(K, Option<&[u8]>)],
    ) -> Result<(), BuildError> {
        if self.records_count >= BATCH_RECORDS_MAX {
            return Err(BuildError::TooManyRecords { records_max: BATCH_RECORDS_MAX });
        }
        let body = self.record_body_len(timestamp_ms, key, value, headers);
        let bytes = self.buf.len().saturating_add(varint_len(clamp_i32(body))).saturating_add(body);
        if bytes > BATCH_BYTES_MAX {
            return Err(BuildError::BatchTooLarge { bytes, bytes_max: BATCH_BYTES_MAX });
        }
        // From here every length fits an i32: the whole batch fits BATCH_BYTES_MAX.
        let start = self.buf.len();
        if self.records_count == 0 {
            self.base_timestamp = timestamp_ms;
            self.max_timestamp = timestamp_ms;
        }
        self.buf.reserve(bytes - start);
        let buf = &mut self.buf;
        encode_varint(body as i32, buf);
        buf.put_u8(0); // record attributes: unused in v2
        encode_varlong(timestamp_ms.wrapping_sub(self.base_timestamp), buf);
        encode_varint(self.records_count as i32, buf);
        put_field(buf, key);
        put_field(buf, value);
        encode_varint(headers.len() as i32, buf);
        for (header_key, header_value) in headers {
            put_field(buf, Some(header_key.as_ref()));
            put_field(buf, *header_value);
        }
        assert_eq!(buf.len(), bytes, "record size computed before writing must match");
        self.max_timestamp = self.max_timestamp.max(timestamp_ms);
        self.records_count += 1;
        Ok(())
    }

    /// Seals the batch (header and CRC) and returns it, leaving the builder empty and ready
    /// for the next batch with the same settings. The bytes are handed over, not copied.
    pub fn finish(&mut self) -> Bytes {
        self.write_header();
        let batch = self.buf.split().freeze();
        self.reset();
        batch
    }

    /// Seals the batch and appends it to `out` (a `Vec<u8>`, a `BytesMut`, …), leaving the
    /// builder empty with its buffer kept for the next batch.
    pub fn finish_into(&mut self, out: &mut impl BufMut) {
        self.write_header();
        out.put_slice(&self.buf);
        self.buf.clear();
        self.reset();
    }

    /// Drops the records appended so far, keeping settings and buffer.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.reset();
    }

    fn reset(&mut self) {
        assert!(self.buf.is_empty());
        self.buf.put_bytes(0, HEADER_LEN);
        self.base_timestamp = NO_TIMESTAMP;
        self.max_timestamp = NO_TIMESTAMP;
        self.records_count = 0;
    }

    fn write_header(&mut self) {
        let total = self.buf.len();
        assert!((HEADER_LEN..=BATCH_BYTES_MAX).contains(&total));
        let last_offset_delta = self.records_count.saturating_sub(1) as i32;
        // A reader refuses a batch whose last offset overflows; offsets that large mean the
        // caller passed a nonsense base offset, a bug rather than input.
        assert!(
            self.base_offset.checked_add(i64::from(last_offset_delta)).is_some(),
            "base offset {} + {} records overflows i64",
            self.base_offset,
            self.records_count
        );
        let header = &mut self.buf[..HEADER_LEN];
        header[BASE_OFFSET..BASE_OFFSET + 8].copy_from_slice(&self.base_offset.to_be_bytes());
        header[BATCH_LENGTH..BATCH_LENGTH + 4]
            .copy_from_slice(&((total - LOG_OVERHEAD) as i32).to_be_bytes());
        header[PARTITION_LEADER_EPOCH..PARTITION_LEADER_EPOCH + 4]
            .copy_from_slice(&self.partition_leader_epoch.to_be_bytes());
        header[MAGIC] = MAGIC_V2 as u8;
        header[ATTRIBUTES..ATTRIBUTES + 2].copy_from_slice(&0i16.to_be_bytes());
        header[LAST_OFFSET_DELTA..LAST_OFFSET_DELTA + 4]
            .copy_from_slice(&last_offset_delta.to_be_bytes());
        header[BASE_TIMESTAMP..BASE_TIMESTAMP + 8]
            .copy_from_slice(&self.base_timestamp.to_be_bytes());
        header[MAX_TIMESTAMP..MAX_TIMESTAMP + 8].copy_from_slice(&self.max_timestamp.to_be_bytes());
        header[PRODUCER_ID..PRODUCER_ID + 8].copy_from_slice(&self.producer_id.to_be_bytes());
        header[PRODUCER_EPOCH..PRODUCER_EPOCH + 2]
            .copy_from_slice(&self.producer_epoch.to_be_bytes());
        header[BASE_SEQUENCE..BASE_SEQUENCE + 4].copy_from_slice(&self.base_sequence.to_be_bytes());
        header[RECORDS_COUNT..RECORDS_COUNT + 4]
            .copy_from_slice(&(self.records_count as i32).to_be_bytes());
        seal_crc(&mut self.buf);
    }

    /// Size of a record after its length prefix. Saturates instead of overflowing for absurd
    /// inputs; the caller compares the result with the batch limit.
    fn record_body_len<K: AsRef<[u8]>>(
        &self,
        timestamp_ms: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(K, Option<&[u8]>)],
    ) -> usize {
        let base_timestamp =
            if self.records_count == 0 { timestamp_ms } else { self.base_timestamp };
        let mut len = 1 // attributes
            + varlong_len(timestamp_ms.wrapping_sub(base_timestamp))
            + varint_len(clamp_i32(self.records_count))
            + field_len(key)
            + field_len(value)
            + varint_len(clamp_i32(headers.len()));
        for (header_key, header_value) in headers {
            len = len
                .saturating_add(field_len(Some(header_key.as_ref())))
                .saturating_add(field_len(*header_value));
        }
        len
    }
}

fn clamp_i32(len: usize) -> i32 {
    i32::try_from(len).unwrap_or(i32::MAX)
}

fn field_len(field: Option<&[u8]>) -> usize {
    match field {
        None => 1,
        Some(bytes) => varint_len(clamp_i32(bytes.len())).saturating_add(bytes.len()),
    }
}

fn put_field(buf: &mut BytesMut, field: Option<&[u8]>) {
    match field {
        None => encode_varint(-1, buf),
        Some(bytes) => {
            encode_varint(bytes.len() as i32, buf);
            buf.put_slice(bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record_batch::{validate, Batch};

    #[test]
    fn given_three_records_when_finished_should_fill_every_header_field() {
        let mut builder = BatchBuilder::new();
        builder.set_producer(7, 3, 100);
        builder.append(1_000, Some(b"k"), Some(b"v")).unwrap();
        builder.append(900, None, Some(b"")).unwrap();
        builder.append_with_headers(1_500, Some(b""), None, &[("h", Some(&b"x"[..]))]).unwrap();
        let expected_len = builder.encoded_len();
        let batch = builder.finish();

        let header = validate(&batch).unwrap();
        assert_eq!(batch.len(), expected_len);
        assert_eq!(header.total_len(), batch.len());
        assert_eq!(header.base_offset, 0);
        assert_eq!(header.partition_leader_epoch, -1);
        assert_eq!(header.attributes, 0);
        assert_eq!(header.last_offset_delta, 2);
        assert_eq!(header.base_timestamp, 1_000);
        assert_eq!(header.max_timestamp, 1_500);
        assert_eq!((header.producer_id, header.producer_epoch, header.base_sequence), (7, 3, 100));
        assert_eq!(header.records_count, 3);
        assert!(builder.is_empty());
        assert_eq!(builder.encoded_len(), HEADER_LEN);
    }

    #[test]
    fn given_record_encoded_len_when_appending_should_grow_by_exactly_that() {
        let mut builder = BatchBuilder::new();
        for index in 0..300i64 {
            let value = vec![7u8; (index * 13 % 200) as usize];
            let headers = [("trace", Some(&b"abc"[..])), ("empty", None)];
            let before = builder.encoded_len();
            let predicted =
                builder.record_encoded_len(1_000 + index * 1_000, None, Some(&value), &headers);
            builder
                .append_with_headers(1_000 + index * 1_000, None, Some(&value), &headers)
                .unwrap();
            assert_eq!(builder.encoded_len() - before, predicted);
        }
    }

    #[test]
    fn given_no_records_when_finished_should_be_a_valid_empty_batch() {
        let batch = BatchBuilder::new().finish();
        let header = validate(&batch).unwrap();
        assert_eq!(header.records_count, 0);
        assert_eq!(header.base_timestamp, NO_TIMESTAMP);
        assert_eq!(Batch::new(batch).unwrap().records().count(), 0);
    }

    #[test]
    fn given_a_record_beyond_the_batch_limit_when_appending_should_refuse_and_stay_unchanged() {
        let mut builder = BatchBuilder::new();
        builder.append(1, None, Some(b"small")).unwrap();
        let before = builder.encoded_len();
        let huge = vec![0u8; BATCH_BYTES_MAX];
        let error = builder.append(2, None, Some(&huge)).unwrap_err();
        assert!(matches!(error, BuildError::BatchTooLarge { .. }));
        assert_eq!(builder.encoded_len(), before);
        assert_eq!(builder.records_count(), 1);
        let batch = Batch::new(builder.finish()).unwrap();
        assert_eq!(batch.records().count(), 1);
    }

    #[test]
    fn given_finish_into_when_building_twice_should_append_two_valid_batches() {
        let mut builder = BatchBuilder::with_capacity(1024);
        let mut out = Vec::new();
        builder.append(5, Some(b"a"), Some(b"1")).unwrap();
        builder.finish_into(&mut out);
        builder.set_base_offset(1).append(6, Some(b"b"), Some(b"2")).unwrap();
        builder.finish_into(&mut out);
        let offsets: Vec<i64> = crate::record_batch::BatchReader::new(Bytes::from(out))
            .flat_map(|batch| {
                batch.unwrap().records().map(|r| r.unwrap().offset).collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(offsets, [0, 1]);
    }
}
