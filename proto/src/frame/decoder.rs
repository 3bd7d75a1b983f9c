//! Incremental frame decoding over a growing receive buffer.

use bytes::{Buf, BytesMut};

use super::{Frame, FrameError, FrameMut};
use crate::limits::{
    FRAME_BYTES_MAX, FRAME_HEADER_BYTES_MAX, FRAME_LENGTH_MIN, FRAME_PREFIX_BYTES,
    FRAME_RESERVE_AHEAD_BYTES_MAX,
};

/// Cuts [`Frame`]s out of a receive buffer, however the stream was split into reads.
///
/// Call [`FrameDecoder::decode`] after every read until it returns `Ok(None)`. Limits are
/// checked as soon as the prefix bytes arrive, before the body is buffered. Frames are split
/// off the buffer and frozen, so the header and payload share the buffer's allocation.
///
/// After an error the decoder is poisoned: the stream position is lost, every later call
/// returns [`FrameError::Poisoned`], and the connection should be closed.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    frame_bytes_max: usize,
    failure: Option<FrameError>,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder {
    /// A decoder enforcing [`FRAME_BYTES_MAX`].
    pub fn new() -> Self {
        Self { frame_bytes_max: FRAME_BYTES_MAX, failure: None }
    }

    /// A decoder with a tighter frame limit than [`FRAME_BYTES_MAX`] (a client that never
    /// expects big responses, a test). Limits above the protocol's are clamped to it.
    pub fn with_frame_bytes_max(frame_bytes_max: usize) -> Self {
        Self { frame_bytes_max: frame_bytes_max.min(FRAME_BYTES_MAX), failure: None }
    }

    /// The frame limit in force (length prefix excluded).
    pub fn frame_bytes_max(&self) -> usize {
        self.frame_bytes_max
    }

    /// Takes the next complete frame off the front of `buffer`, or returns `Ok(None)` if more
    /// bytes are needed. When the frame's length is known, `buffer` is grown so the rest of
    /// the frame (up to [`FRAME_RESERVE_AHEAD_BYTES_MAX`] of it) fits without reallocation.
    pub fn decode(&mut self, buffer: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        Ok(self.decode_mut(buffer)?.map(FrameMut::freeze))
    }

    /// Like [`FrameDecoder::decode`], but leaves the payload mutable, for a receiver that
    /// will change batch bytes in place (the broker stamping offsets).
    pub fn decode_mut(&mut self, buffer: &mut BytesMut) -> Result<Option<FrameMut>, FrameError> {
        if let Some(failure) = &self.failure {
            return Err(FrameError::Poisoned(Box::new(failure.clone())));
        }
        match self.decode_unpoisoned(buffer) {
            Ok(frame) => Ok(frame),
            Err(error) => {
                self.failure = Some(error.clone());
                Err(error)
            }
        }
    }

    fn decode_unpoisoned(&self, buffer: &mut BytesMut) -> Result<Option<FrameMut>, FrameError> {
        let Some(length) = read_u32_le(buffer, 0) else {
            return Ok(None);
        };
        if length > self.frame_bytes_max {
            return Err(FrameError::TooLarge { length, max: self.frame_bytes_max });
        }
        if length < FRAME_LENGTH_MIN {
            return Err(FrameError::TooShort { length, min: FRAME_LENGTH_MIN });
        }
        // length >= FRAME_LENGTH_MIN, so a whole frame always includes the header-length field.
        let Some(header_length) = read_u32_le(buffer, 4) else {
            return Ok(None);
        };
        if header_length > FRAME_HEADER_BYTES_MAX {
            return Err(FrameError::HeaderTooLarge { header_length, max: FRAME_HEADER_BYTES_MAX });
        }
        let payload_length = length
            .checked_sub(FRAME_LENGTH_MIN + header_length)
            .ok_or(FrameError::HeaderExceedsFrame { header_length, length })?;

        let frame_wire_bytes = FRAME_PREFIX_BYTES - FRAME_LENGTH_MIN + length;
        if buffer.len() < frame_wire_bytes {
            buffer.reserve((frame_wire_bytes - buffer.len()).min(FRAME_RESERVE_AHEAD_BYTES_MAX));
            return Ok(None);
        }

        buffer.advance(FRAME_PREFIX_BYTES);
        let header = buffer.split_to(header_length).freeze();
        let payload = buffer.split_to(payload_length);
        debug_assert_eq!(header.len() + payload.len() + FRAME_LENGTH_MIN, length);
        Ok(Some(FrameMut { header, payload }))
    }
}

fn read_u32_le(buffer: &[u8], at: usize) -> Option<usize> {
    let bytes: [u8; 4] = buffer.get(at..at + 4)?.try_into().ok()?;
    // u32 always fits in usize on the 64-bit targets Sluice supports.
    Some(u32::from_le_bytes(bytes) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_frame(length: u32, header_length: u32, rest: &[u8]) -> BytesMut {
        let mut buffer = BytesMut::new();
        buffer.extend_from_slice(&length.to_le_bytes());
        buffer.extend_from_slice(&header_length.to_le_bytes());
        buffer.extend_from_slice(rest);
        buffer
    }

    #[test]
    fn given_complete_frame_when_decoding_should_split_header_and_payload() {
        let mut buffer = raw_frame(4 + 5, 2, b"hdpay");
        buffer.extend_from_slice(b"next");
        let frame = FrameDecoder::new().decode(&mut buffer).unwrap().unwrap();
        assert_eq!(&frame.header[..], b"hd");
        assert_eq!(&frame.payload[..], b"pay");
        assert_eq!(&buffer[..], b"next");
    }

    #[test]
    fn given_partial_frame_when_decoding_should_wait_and_reserve_room() {
        let mut buffer = raw_frame(4 + 1000, 10, b"abc");
        assert_eq!(FrameDecoder::new().decode(&mut buffer), Ok(None));
        assert!(buffer.capacity() >= 8 + 1000);
        assert_eq!(buffer.len(), 11, "nothing is consumed until the frame is whole");
    }

    #[test]
    fn given_maximal_frame_announced_when_only_prefix_arrived_should_reserve_a_bounded_amount() {
        let mut buffer = raw_frame(FRAME_BYTES_MAX as u32, 0, b"");
        assert_eq!(FrameDecoder::new().decode(&mut buffer), Ok(None));
        assert!(buffer.capacity() >= FRAME_RESERVE_AHEAD_BYTES_MAX);
        assert!(buffer.capacity() < 2 * FRAME_RESERVE_AHEAD_BYTES_MAX + 64);
    }

    #[test]
    fn given_oversized_length_when_only_prefix_arrived_should_fail_before_buffering() {
        let mut buffer = BytesMut::from(&((FRAME_BYTES_MAX + 1) as u32).to_le_bytes()[..]);
        let error = FrameDecoder::new().decode(&mut buffer).unwrap_err();
        assert_eq!(
            error,
            FrameError::TooLarge { length: FRAME_BYTES_MAX + 1, max: FRAME_BYTES_MAX }
        );
        assert!(buffer.capacity() < 1024, "an oversized frame must not be reserved for");
    }

    #[test]
    fn given_header_longer_than_frame_when_decoding_should_fail() {
        let mut buffer = raw_frame(4 + 3, 4, b"abc");
        let error = FrameDecoder::new().decode(&mut buffer).unwrap_err();
        assert_eq!(error, FrameError::HeaderExceedsFrame { header_length: 4, length: 7 });
    }

    #[test]
    fn given_header_over_limit_when_decoding_should_fail() {
        let header_length = (FRAME_HEADER_BYTES_MAX + 1) as u32;
        let mut buffer = raw_frame(header_length + 4, header_length, b"");
        let error = FrameDecoder::new().decode(&mut buffer).unwrap_err();
        assert!(matches!(error, FrameError::HeaderTooLarge { .. }));
    }

    #[test]
    fn given_length_below_minimum_when_decoding_should_fail() {
        let mut buffer = BytesMut::from(&3u32.to_le_bytes()[..]);
        let error = FrameDecoder::new().decode(&mut buffer).unwrap_err();
        assert_eq!(error, FrameError::TooShort { length: 3, min: 4 });
    }

    #[test]
    fn given_failed_decoder_when_decoding_again_should_stay_poisoned() {
        let mut decoder = FrameDecoder::with_frame_bytes_max(16);
        let mut buffer = raw_frame(17, 0, b"");
        let first = decoder.decode(&mut buffer).unwrap_err();
        let mut fresh = raw_frame(4, 0, b"");
        assert_eq!(decoder.decode(&mut fresh), Err(FrameError::Poisoned(Box::new(first))));
    }

    #[test]
    fn given_empty_header_and_payload_when_decoding_should_yield_empty_frame() {
        let mut buffer = raw_frame(4, 0, b"");
        let frame = FrameDecoder::new().decode(&mut buffer).unwrap().unwrap();
        assert_eq!(frame, Frame::default());
        assert!(buffer.is_empty());
    }
}
