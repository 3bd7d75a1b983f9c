//! Zero-copy reading of batches and records.
//!
//! Two levels, because the broker and the consumer need different things:
//!
//! - [`Batches`] (over [`Bytes`]) and [`BatchSlices`] (over `&[u8]`) step through batches laid
//!   back to back and check each one's header and CRC, nothing more. This is what the broker and
//!   the storage engine need: they move whole batches and never look inside.
//! - [`BatchReader`] yields [`Batch`]es that also refuse compression, and [`Batch::records`]
//!   walks the records of one batch, yielding [`Record`]s whose key, value and header values
//!   are [`Bytes`] slices of the input: no record byte is ever copied.
//!
//! Every iterator stops for good after its first error, so a caller that keeps calling `next`
//! sees the error once and then `None`. Nothing here panics on any input.

use std::iter::FusedIterator;
use std::ops::Range;

use bytes::Bytes;

use super::header::{validate, BatchHeader};
use super::varint::{decode_varint, decode_varlong, VarintError};
use super::{BatchError, RecordField};

/// Iterates over the batches laid back to back in a [`Bytes`] buffer, checking each one's
/// header and CRC, and yields each with its bytes (a slice of the buffer, not a copy).
///
/// Does not look at records or compression: this is the broker's and the storage engine's view.
/// Stops after the first bad batch; [`Batches::position`] then tells where it starts, which is
/// where recovery truncates.
#[derive(Debug, Clone)]
pub struct Batches {
    buf: Bytes,
    position: usize,
    done: bool,
}

impl Batches {
    /// Iterates over the batches in `buf`.
    pub fn new(buf: Bytes) -> Batches {
        Batches { buf, position: 0, done: false }
    }

    /// Byte position of the next batch to read: after an error, the start of the bad batch;
    /// after the end, the buffer's length.
    pub fn position(&self) -> usize {
        self.position
    }
}

impl Iterator for Batches {
    type Item = Result<(BatchHeader, Bytes), BatchError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.position == self.buf.len() {
            self.done = true;
            return None;
        }
        match validate(&self.buf[self.position..]) {
            Ok(header) => {
                let end = self.position + header.total_len();
                let bytes = self.buf.slice(self.position..end);
                self.position = end;
                Some(Ok((header, bytes)))
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }
}

impl FusedIterator for Batches {}

/// [`Batches`] over a borrowed slice, for callers whose bytes are not in a [`Bytes`] (a DMA
/// buffer being recovered, say).
#[derive(Debug, Clone)]
pub struct BatchSlices<'a> {
    buf: &'a [u8],
    position: usize,
    done: bool,
}

impl<'a> BatchSlices<'a> {
    /// Iterates over the batches in `buf`.
    pub fn new(buf: &'a [u8]) -> BatchSlices<'a> {
        BatchSlices { buf, position: 0, done: false }
    }

    /// Byte position of the next batch to read: after an error, the start of the bad batch;
    /// after the end, the buffer's length.
    pub fn position(&self) -> usize {
        self.position
    }
}

impl<'a> Iterator for BatchSlices<'a> {
    type Item = Result<(BatchHeader, &'a [u8]), BatchError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.position == self.buf.len() {
            self.done = true;
            return None;
        }
        match validate(&self.buf[self.position..]) {
            Ok(header) => {
                let end = self.position + header.total_len();
                let bytes = &self.buf[self.position..end];
                self.position = end;
                Some(Ok((header, bytes)))
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }
}

impl FusedIterator for BatchSlices<'_> {}

/// Iterates over the batches in a buffer as [`Batch`]es: header and CRC checked, compression
/// refused. This is the consumer's view; see [`Batch::records`].
#[derive(Debug, Clone)]
pub struct BatchReader {
    batches: Batches,
    done: bool,
}

impl BatchReader {
    /// Reads the batches in `buf`.
    pub fn new(buf: Bytes) -> BatchReader {
        BatchReader { batches: Batches::new(buf), done: false }
    }

    /// Byte position of the next batch to read (see [`Batches::position`]).
    pub fn position(&self) -> usize {
        self.batches.position()
    }
}

impl Iterator for BatchReader {
    type Item = Result<Batch, BatchError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.batches.next()?.and_then(|(header, bytes)| Batch::checked(header, bytes));
        self.done = item.is_err();
        Some(item)
    }
}

impl FusedIterator for BatchReader {}

/// One whole batch whose header and CRC have been checked and which is uncompressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    header: BatchHeader,
    bytes: Bytes,
}

impl Batch {
    /// Checks that `bytes` is exactly one intact, uncompressed batch.
    pub fn new(bytes: Bytes) -> Result<Batch, BatchError> {
        let header = validate(&bytes)?;
        if bytes.len() != header.total_len() {
            return Err(BatchError::TrailingBytes { bytes: bytes.len() - header.total_len() });
        }
        Batch::checked(header, bytes)
    }

    /// Wraps a batch whose header and CRC [`validate`] has accepted.
    fn checked(header: BatchHeader, bytes: Bytes) -> Result<Batch, BatchError> {
        assert_eq!(bytes.len(), header.total_len(), "validated batches are sliced exactly");
        if header.compression() != 0 {
            return Err(BatchError::UnsupportedCompression(header.compression()));
        }
        Ok(Batch { header, bytes })
    }

    /// The batch's fixed header.
    pub fn header(&self) -> &BatchHeader {
        &self.header
    }

    /// The batch's bytes, exactly as received.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Gives back the batch's bytes, to store or forward them unchanged.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// Iterates over the records; each yields once, and the first malformed one ends the walk
    /// with an error.
    pub fn records(&self) -> Records {
        Records {
            bytes: self.bytes.clone(),
            cursor: RecordCursor::new(&self.header),
            position: super::layout::HEADER_LEN,
            done: false,
        }
    }

    /// Walks every record without producing any, checking the whole record structure: what the
    /// broker runs on produce so a malformed batch is refused before it is stored.
    pub fn check_records(&self) -> Result<(), BatchError> {
        let mut cursor = RecordCursor::new(&self.header);
        let mut position = super::layout::HEADER_LEN;
        while let Some(raw) = cursor.next_raw(&self.bytes, position)? {
            position = raw.end;
        }
        Ok(())
    }
}

/// One record, its byte fields slices of the batch it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Absolute offset: the batch's base offset plus the record's offset delta.
    pub offset: i64,
    /// Timestamp in ms: the batch's base timestamp plus the record's timestamp delta.
    pub timestamp: i64,
    /// The key, `None` when null (an empty key is `Some` of an empty slice).
    pub key: Option<Bytes>,
    /// The value, `None` when null (a tombstone).
    pub value: Option<Bytes>,
    /// The record's headers, in order.
    pub headers: Headers,
}

/// The headers of one record: already checked when the record was read, decoded lazily so that
/// reading a record allocates nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Headers {
    bytes: Bytes,
    count: u32,
}

impl Headers {
    /// Number of headers.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Iterates over the headers in order.
    pub fn iter(&self) -> HeaderIter<'_> {
        HeaderIter { headers: self, position: 0, remaining: self.count }
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = Header;
    type IntoIter = HeaderIter<'a>;

    fn into_iter(self) -> HeaderIter<'a> {
        self.iter()
    }
}

/// One record header. Kafka header keys are UTF-8 strings by convention, but the format does not
/// enforce it and neither do we: the key is bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The header key.
    pub key: Bytes,
    /// The header value, `None` when null.
    pub value: Option<Bytes>,
}

impl Header {
    /// The key as UTF-8, as Kafka clients treat it; `None` if it is not valid UTF-8.
    pub fn key_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.key).ok()
    }
}

/// Iterator over a record's [`Headers`].
#[derive(Debug, Clone)]
pub struct HeaderIter<'a> {
    headers: &'a Headers,
    position: usize,
    remaining: u32,
}

impl Iterator for HeaderIter<'_> {
    type Item = Header;

    fn next(&mut self) -> Option<Header> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let bytes = &self.headers.bytes;
        let mut fields = FieldReader { buf: bytes, position: self.position, record: 0 };
        // The record reader walked these very bytes with the same code before handing them
        // out, so a failure here is a bug in this module, not bad input.
        let key = fields
            .bytes_field(RecordField::HeaderKey)
            .expect("headers were checked when the record was read")
            .expect("header keys were checked to be non-null");
        let value = fields
            .bytes_field(RecordField::HeaderValue)
            .expect("headers were checked when the record was read");
        self.position = fields.position;
        Some(Header { key: bytes.slice(key), value: value.map(|range| bytes.slice(range)) })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining as usize, Some(self.remaining as usize))
    }
}

impl ExactSizeIterator for HeaderIter<'_> {}
impl FusedIterator for HeaderIter<'_> {}

/// Iterator over the records of one [`Batch`].
#[derive(Debug, Clone)]
pub struct Records {
    bytes: Bytes,
    cursor: RecordCursor,
    position: usize,
    done: bool,
}

impl Iterator for Records {
    type Item = Result<Record, BatchError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.cursor.next_raw(&self.bytes, self.position) {
            Ok(Some(raw)) => {
                self.position = raw.end;
                let bytes = &self.bytes;
                Some(Ok(Record {
                    offset: raw.offset,
                    timestamp: raw.timestamp,
                    key: raw.key.map(|range| bytes.slice(range)),
                    value: raw.value.map(|range| bytes.slice(range)),
                    headers: Headers {
                        bytes: if raw.header_count == 0 {
                            Bytes::new()
                        } else {
                            bytes.slice(raw.headers)
                        },
                        count: raw.header_count,
                    },
                }))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            return (0, Some(0));
        }
        // An error may end the walk early, so only the upper bound is known.
        (0, Some(self.cursor.remaining() as usize + 1))
    }
}

impl FusedIterator for Records {}

/// Byte ranges of one record's fields within its batch: what the walk finds before anything is
/// sliced, shared by [`Records`] and [`Batch::check_records`].
struct RawRecord {
    offset: i64,
    timestamp: i64,
    key: Option<Range<usize>>,
    value: Option<Range<usize>>,
    headers: Range<usize>,
    header_count: u32,
    /// Position just past the record.
    end: usize,
}

/// The state of a walk through one batch's records.
#[derive(Debug, Clone)]
struct RecordCursor {
    base_offset: i64,
    base_timestamp: i64,
    records_count: i32,
    last_offset_delta: i32,
    /// Records read so far.
    index: u32,
    /// Offset delta of the previous record, -1 before the first.
    previous_offset_delta: i32,
}

impl RecordCursor {
    fn new(header: &BatchHeader) -> RecordCursor {
        RecordCursor {
            base_offset: header.base_offset,
            base_timestamp: header.base_timestamp,
            records_count: header.records_count,
            last_offset_delta: header.last_offset_delta,
            index: 0,
            previous_offset_delta: -1,
        }
    }

    fn remaining(&self) -> u32 {
        (self.records_count as u32).saturating_sub(self.index)
    }

    /// Reads the record at `position` of `batch` (a whole batch), or returns `None` once all
    /// declared records were read and nothing follows them.
    fn next_raw(&mut self, batch: &[u8], position: usize) -> Result<Option<RawRecord>, BatchError> {
        let record = self.index;
        if record == self.records_count as u32 {
            if position != batch.len() {
                return Err(BatchError::TrailingBytes { bytes: batch.len() - position });
            }
            return Ok(None);
        }
        if position == batch.len() {
            return Err(BatchError::RecordCountMismatch {
                declared: self.records_count,
                found: record,
            });
        }

        let (length, prefix) = match decode_varint(&batch[position..]) {
            Ok(decoded) => decoded,
            Err(VarintError::Truncated) => return Err(BatchError::RecordTruncated { record }),
            Err(error) => return Err(BatchError::BadVarint { record, error }),
        };
        if length < 0 {
            return Err(BatchError::BadRecordLength { record, length });
        }
        let start = position + prefix;
        let end = start
            .checked_add(length as usize)
            .filter(|&end| end <= batch.len())
            .ok_or(BatchError::RecordTruncated { record })?;

        // Every field read is bounded by the record's own declared end, so a record that lies
        // about its length is caught here rather than read into its neighbour.
        let mut fields = FieldReader { buf: &batch[..end], position: start, record };
        let mismatch = BatchError::RecordLengthMismatch { record, declared: length };
        fields.skip(1).ok_or_else(|| mismatch.clone())?; // attributes: unused in v2
        let timestamp_delta = fields.varlong().map_err(|e| e.or(&mismatch))?;
        let offset_delta = fields.varint().map_err(|e| e.or(&mismatch))?;
        if offset_delta <= self.previous_offset_delta || offset_delta > self.last_offset_delta {
            return Err(BatchError::BadOffsetDelta { record, offset_delta });
        }
        let key = fields.bytes_field(RecordField::Key).map_err(|e| e.or(&mismatch))?;
        let value = fields.bytes_field(RecordField::Value).map_err(|e| e.or(&mismatch))?;
        let header_count = fields.varint().map_err(|e| e.or(&mismatch))?;
        if header_count < 0 {
            return Err(BatchError::BadFieldLength {
                record,
                field: RecordField::HeaderCount,
                length: header_count,
            });
        }
        let headers_start = fields.position;
        // Each header takes at least two bytes, so this loop ends within the record's bytes
        // whatever count it claims.
        for _ in 0..header_count {
            match fields.bytes_field(RecordField::HeaderKey).map_err(|e| e.or(&mismatch))? {
                Some(_) => {}
                None => {
                    return Err(BatchError::BadFieldLength {
                        record,
                        field: RecordField::HeaderKey,
                        length: -1,
                    })
                }
            }
            fields.bytes_field(RecordField::HeaderValue).map_err(|e| e.or(&mismatch))?;
        }
        if fields.position != end {
            return Err(mismatch);
        }

        self.index += 1;
        self.previous_offset_delta = offset_delta;
        Ok(Some(RawRecord {
            // Cannot overflow: `BatchHeader::parse` checked base_offset + last_offset_delta.
            offset: self.base_offset + i64::from(offset_delta),
            // Kafka adds with two's-complement wrap (Java long arithmetic); so do we, so every
            // i64 timestamp survives a round trip.
            timestamp: self.base_timestamp.wrapping_add(timestamp_delta),
            key,
            value,
            headers: headers_start..end,
            header_count: header_count as u32,
            end,
        }))
    }
}

/// Why a field could not be read: it ran past its record's end (a length mismatch, reported as
/// the caller's error) or it is itself bad.
#[derive(Debug)]
enum FieldError {
    PastEnd,
    Bad(BatchError),
}

impl FieldError {
    fn or(self, past_end: &BatchError) -> BatchError {
        match self {
            FieldError::PastEnd => past_end.clone(),
            FieldError::Bad(error) => error,
        }
    }
}

/// Reads record fields from `buf[position..]`, never past `buf`'s end.
struct FieldReader<'a> {
    buf: &'a [u8],
    position: usize,
    record: u32,
}

impl FieldReader<'_> {
    fn skip(&mut self, count: usize) -> Option<()> {
        if self.buf.len() - self.position < count {
            return None;
        }
        self.position += count;
        Some(())
    }

    fn varint(&mut self) -> Result<i32, FieldError> {
        let (value, len) =
            decode_varint(&self.buf[self.position..]).map_err(|e| self.varint_error(e))?;
        self.position += len;
        Ok(value)
    }

    fn varlong(&mut self) -> Result<i64, FieldError> {
        let (value, len) =
            decode_varlong(&self.buf[self.position..]).map_err(|e| self.varint_error(e))?;
        self.position += len;
        Ok(value)
    }

    fn varint_error(&self, error: VarintError) -> FieldError {
        match error {
            VarintError::Truncated => FieldError::PastEnd,
            error => FieldError::Bad(BatchError::BadVarint { record: self.record, error }),
        }
    }

    /// Reads a varint length and that many bytes; -1 means null.
    fn bytes_field(&mut self, field: RecordField) -> Result<Option<Range<usize>>, FieldError> {
        let length = self.varint()?;
        if length == -1 {
            return Ok(None);
        }
        if length < 0 {
            return Err(FieldError::Bad(BatchError::BadFieldLength {
                record: self.record,
                field,
                length,
            }));
        }
        let start = self.position;
        self.skip(length as usize).ok_or(FieldError::PastEnd)?;
        Ok(Some(start..self.position))
    }
}
