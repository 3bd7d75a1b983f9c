//! Record-batch bytes and the payload ranges that point at them.
//!
//! Tables that carry batches hold a `PayloadRange { offset, len }` into the frame's payload
//! instead of the bytes. Encoding appends each partition's chunks to the payload and records
//! where they landed; decoding checks each range against the payload and hands out a
//! zero-copy slice of it. Ranges may share bytes or leave gaps; only their bounds are checked.

use std::fmt;

use bytes::Bytes;

use super::DecodeErrorKind;
use crate::generated as fb;

/// The record batches of one partition, as opaque bytes (Kafka RecordBatch v2 layout; see
/// [`crate::record_batch`]), possibly split over several chunks.
///
/// Chunks let a broker answer a fetch from several cached buffers, or a producer send batches
/// it built separately, without joining them; the frame encoder writes the chunks vectored. A
/// decoded value is always one chunk: a slice of the received frame's payload.
///
/// Equality compares the bytes, not how they are chunked.
#[derive(Clone, Default)]
pub struct BatchBytes {
    chunks: Chunks,
}

#[derive(Clone, Default)]
enum Chunks {
    #[default]
    Empty,
    One(Bytes),
    Many(Vec<Bytes>),
}

impl BatchBytes {
    /// No bytes.
    pub const fn new() -> Self {
        Self { chunks: Chunks::Empty }
    }

    /// Bytes made of `chunks`, in order; empty chunks are dropped.
    pub fn from_chunks(chunks: impl IntoIterator<Item = Bytes>) -> Self {
        let mut out = Self::new();
        for chunk in chunks {
            out.push(chunk);
        }
        out
    }

    /// Appends a chunk (no copy).
    pub fn push(&mut self, chunk: Bytes) {
        if chunk.is_empty() {
            return;
        }
        self.chunks = match std::mem::take(&mut self.chunks) {
            Chunks::Empty => Chunks::One(chunk),
            Chunks::One(first) => Chunks::Many(vec![first, chunk]),
            Chunks::Many(mut chunks) => {
                chunks.push(chunk);
                Chunks::Many(chunks)
            }
        };
    }

    /// The chunks, in order, none of them empty.
    pub fn chunks(&self) -> &[Bytes] {
        match &self.chunks {
            Chunks::Empty => &[],
            Chunks::One(chunk) => std::slice::from_ref(chunk),
            Chunks::Many(chunks) => chunks,
        }
    }

    /// Total length in bytes.
    pub fn len(&self) -> usize {
        self.chunks().iter().map(Bytes::len).sum()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        matches!(self.chunks, Chunks::Empty)
    }

    /// The bytes in one buffer: free when there is at most one chunk (always the case after
    /// decoding), a copy otherwise.
    pub fn to_bytes(&self) -> Bytes {
        match &self.chunks {
            Chunks::Empty => Bytes::new(),
            Chunks::One(chunk) => chunk.clone(),
            Chunks::Many(chunks) => Bytes::from(chunks.concat()),
        }
    }

    fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        self.chunks().iter().flat_map(|chunk| chunk.iter().copied())
    }
}

impl From<Bytes> for BatchBytes {
    fn from(bytes: Bytes) -> Self {
        Self::from_chunks([bytes])
    }
}

impl From<Vec<u8>> for BatchBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self::from(Bytes::from(bytes))
    }
}

impl From<&'static [u8]> for BatchBytes {
    fn from(bytes: &'static [u8]) -> Self {
        Self::from(Bytes::from_static(bytes))
    }
}

impl PartialEq for BatchBytes {
    fn eq(&self, other: &Self) -> bool {
        match (self.chunks(), other.chunks()) {
            ([a], [b]) => a == b,
            _ => self.len() == other.len() && self.bytes().eq(other.bytes()),
        }
    }
}

impl Eq for BatchBytes {}

impl fmt::Debug for BatchBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Batches can be megabytes; their size is what a log line or test failure needs.
        write!(f, "BatchBytes({} bytes in {} chunks)", self.len(), self.chunks().len())
    }
}

/// Collects the payload of a frame being encoded.
#[derive(Debug, Default)]
pub(crate) struct PayloadWriter {
    chunks: Vec<Bytes>,
    len: usize,
}

impl PayloadWriter {
    /// Appends `batches` and returns the range they occupy. Lengths beyond `u32` saturate; the
    /// frame encoder rejects such a payload as too large before anything is sent.
    pub(crate) fn push(&mut self, batches: &BatchBytes) -> fb::PayloadRange {
        let offset = self.len;
        for chunk in batches.chunks() {
            self.len = self.len.saturating_add(chunk.len());
            self.chunks.push(chunk.clone());
        }
        let len = self.len - offset;
        fb::PayloadRange::new(saturate_u32(offset), saturate_u32(len))
    }

    pub(crate) fn into_chunks(self) -> Vec<Bytes> {
        self.chunks
    }
}

fn saturate_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// Resolves payload ranges of a received frame.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PayloadReader<'a> {
    payload: &'a Bytes,
}

impl<'a> PayloadReader<'a> {
    pub(crate) fn new(payload: &'a Bytes) -> Self {
        Self { payload }
    }

    /// The bytes `range` points at, as a zero-copy slice of the payload.
    pub(crate) fn slice(&self, range: &fb::PayloadRange) -> Result<BatchBytes, DecodeErrorKind> {
        let (offset, len) = (range.offset(), range.len());
        let end = u64::from(offset) + u64::from(len);
        if end > self.payload.len() as u64 {
            return Err(DecodeErrorKind::PayloadRangeOutOfBounds {
                offset,
                len,
                payload_len: self.payload.len(),
            });
        }
        // In bounds, so both fit in usize.
        let (start, end) = (offset as usize, end as usize);
        Ok(BatchBytes::from(self.payload.slice(start..end)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_different_chunking_of_same_bytes_should_be_equal() {
        let whole = BatchBytes::from(Bytes::from_static(b"abcdef"));
        let split = BatchBytes::from_chunks([
            Bytes::from_static(b"ab"),
            Bytes::new(),
            Bytes::from_static(b"cdef"),
        ]);
        assert_eq!(whole, split);
        assert_eq!(split.chunks().len(), 2);
        assert_ne!(whole, BatchBytes::from(Bytes::from_static(b"abcdeg")));
        assert_eq!(split.to_bytes(), Bytes::from_static(b"abcdef"));
    }

    #[test]
    fn given_ranges_when_writing_should_place_chunks_back_to_back() {
        let mut writer = PayloadWriter::default();
        let first = writer.push(&BatchBytes::from(Bytes::from_static(b"abc")));
        let second = writer
            .push(&BatchBytes::from_chunks([Bytes::from_static(b"de"), Bytes::from_static(b"f")]));
        let empty = writer.push(&BatchBytes::new());
        assert_eq!((first.offset(), first.len()), (0, 3));
        assert_eq!((second.offset(), second.len()), (3, 3));
        assert_eq!((empty.offset(), empty.len()), (6, 0));
        assert_eq!(writer.into_chunks().len(), 3);
    }

    #[test]
    fn given_range_past_payload_end_when_reading_should_fail_without_panicking() {
        let payload = Bytes::from_static(b"0123456789");
        let reader = PayloadReader::new(&payload);
        let in_bounds = reader.slice(&fb::PayloadRange::new(8, 2)).unwrap();
        assert_eq!(in_bounds.to_bytes(), Bytes::from_static(b"89"));
        assert_eq!(
            in_bounds.to_bytes().as_ptr(),
            payload[8..].as_ptr(),
            "decoding must slice the payload, not copy it"
        );
        for (offset, len) in [(8, 3), (11, 0), (u32::MAX, u32::MAX), (0, u32::MAX)] {
            let error = reader.slice(&fb::PayloadRange::new(offset, len)).unwrap_err();
            assert_eq!(
                error,
                DecodeErrorKind::PayloadRangeOutOfBounds { offset, len, payload_len: 10 }
            );
        }
    }
}
