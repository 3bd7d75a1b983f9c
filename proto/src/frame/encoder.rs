//! Frame encoding: the prefix and header in one small buffer, the payload as the caller's own
//! chunks, so record batches reach the socket without being copied.

use std::io::IoSlice;

use bytes::{BufMut, Bytes, BytesMut};

use super::FrameError;
use crate::limits::{
    FRAME_BYTES_MAX, FRAME_HEADER_BYTES_MAX, FRAME_LENGTH_MIN, FRAME_PREFIX_BYTES,
};

/// A frame ready to be written: `head` (length prefix + header) followed by the payload chunks.
///
/// Write it with one vectored write ([`OutgoingFrame::io_slices`]) or chunk by chunk
/// ([`OutgoingFrame::into_chunks`]); the payload chunks are the very `Bytes` the caller passed
/// in, so batch bytes are never copied on the way out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingFrame {
    head: Bytes,
    payload: Vec<Bytes>,
    wire_len: usize,
}

impl OutgoingFrame {
    /// Frames `header` (copied: it is small) and `payload` (kept by reference). Empty payload
    /// chunks are dropped.
    ///
    /// Fails if the header exceeds [`FRAME_HEADER_BYTES_MAX`] or the frame exceeds
    /// [`FRAME_BYTES_MAX`]; a peer would reject such a frame and close the connection.
    pub fn new(header: &[u8], payload: Vec<Bytes>) -> Result<Self, FrameError> {
        if header.len() > FRAME_HEADER_BYTES_MAX {
            return Err(FrameError::HeaderTooLarge {
                header_length: header.len(),
                max: FRAME_HEADER_BYTES_MAX,
            });
        }
        let payload: Vec<Bytes> = payload.into_iter().filter(|chunk| !chunk.is_empty()).collect();
        let payload_len = payload.iter().fold(0usize, |sum, chunk| sum.saturating_add(chunk.len()));
        let length = FRAME_LENGTH_MIN.saturating_add(header.len()).saturating_add(payload_len);
        if length > FRAME_BYTES_MAX {
            return Err(FrameError::TooLarge { length, max: FRAME_BYTES_MAX });
        }

        let mut head = BytesMut::with_capacity(FRAME_PREFIX_BYTES + header.len());
        // Both fit in u32: checked against the limits above, which are below u32::MAX.
        head.put_u32_le(length as u32);
        head.put_u32_le(header.len() as u32);
        head.put_slice(header);
        let wire_len = FRAME_PREFIX_BYTES - FRAME_LENGTH_MIN + length;
        assert_eq!(wire_len, head.len() + payload_len);
        Ok(Self { head: head.freeze(), payload, wire_len })
    }

    /// Total bytes on the wire, prefix included.
    pub fn wire_len(&self) -> usize {
        self.wire_len
    }

    /// The length prefix, header-length field and header.
    pub fn head(&self) -> &Bytes {
        &self.head
    }

    /// The payload chunks, in order, none of them empty.
    pub fn payload(&self) -> &[Bytes] {
        &self.payload
    }

    /// Every chunk in wire order: the head, then the payload chunks.
    pub fn chunks(&self) -> impl Iterator<Item = &Bytes> {
        std::iter::once(&self.head).chain(self.payload.iter())
    }

    /// Every chunk in wire order, by value (cheap: `Bytes` are reference-counted).
    pub fn into_chunks(self) -> impl Iterator<Item = Bytes> {
        std::iter::once(self.head).chain(self.payload)
    }

    /// The chunks as `IoSlice`s for `write_vectored`.
    pub fn io_slices(&self) -> Vec<IoSlice<'_>> {
        self.chunks().map(|chunk| IoSlice::new(chunk)).collect()
    }

    /// The whole frame in one contiguous buffer. This copies the payload; meant for tests and
    /// for transports that cannot write vectored.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(self.wire_len);
        for chunk in self.chunks() {
            out.put_slice(chunk);
        }
        out.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{Frame, FrameDecoder};

    #[test]
    fn given_header_and_chunks_when_encoding_then_decoding_should_give_them_back() {
        let payload = vec![Bytes::from_static(b"ab"), Bytes::new(), Bytes::from_static(b"cde")];
        let frame = OutgoingFrame::new(b"head", payload).unwrap();
        assert_eq!(frame.wire_len(), 8 + 4 + 5);
        assert_eq!(frame.payload().len(), 2, "empty chunks are dropped");
        let mut buffer = BytesMut::from(&frame.to_bytes()[..]);
        let decoded = FrameDecoder::new().decode(&mut buffer).unwrap().unwrap();
        assert_eq!(
            decoded,
            Frame { header: Bytes::from_static(b"head"), payload: Bytes::from_static(b"abcde") }
        );
    }

    #[test]
    fn given_payload_chunks_when_encoding_should_not_copy_them() {
        let batch = Bytes::from(vec![7u8; 4096]);
        let frame = OutgoingFrame::new(b"h", vec![batch.clone()]).unwrap();
        assert_eq!(frame.payload()[0].as_ptr(), batch.as_ptr());
        assert_eq!(frame.io_slices().len(), 2);
    }

    #[test]
    fn given_oversized_payload_when_encoding_should_fail() {
        let big = Bytes::from(vec![0u8; FRAME_BYTES_MAX]);
        let error = OutgoingFrame::new(b"h", vec![big]).unwrap_err();
        assert!(matches!(error, FrameError::TooLarge { .. }));
    }

    #[test]
    fn given_oversized_header_when_encoding_should_fail() {
        let header = vec![0u8; FRAME_HEADER_BYTES_MAX + 1];
        let error = OutgoingFrame::new(&header, Vec::new()).unwrap_err();
        assert!(matches!(error, FrameError::HeaderTooLarge { .. }));
    }
}
