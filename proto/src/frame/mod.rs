//! The frame codec: how messages are cut out of, and put onto, a byte stream.
//!
//! A frame is `u32 length | u32 header length | header | payload`, both integers little-endian
//! (flatbuffers is little-endian too, so the whole frame has one byte order). `length` counts
//! everything after itself. The header is a flatbuffer; the payload is opaque record-batch bytes
//! that the header refers to by range. This module knows nothing about flatbuffers: it only
//! splits and joins bytes, without copying the payload, and enforces the size limits of
//! [`crate::limits`] before buffering anything.
//!
//! A [`FrameError`] means the stream is out of step and cannot be trusted again: the
//! connection must be closed.

mod decoder;
mod encoder;

pub use decoder::FrameDecoder;
pub use encoder::OutgoingFrame;

use bytes::{Bytes, BytesMut};

/// One frame cut from the stream: the flatbuffers header and the payload, both views into the
/// receive buffer (no copy).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frame {
    /// The flatbuffers header, not yet verified.
    pub header: Bytes,
    /// The payload: record-batch bytes that the header refers to by range.
    pub payload: Bytes,
}

impl Frame {
    /// Bytes this frame took on the wire, prefix included.
    pub fn wire_len(&self) -> usize {
        crate::limits::FRAME_PREFIX_BYTES + self.header.len() + self.payload.len()
    }
}

/// A frame whose payload is still uniquely owned and mutable: the broker's produce path
/// stamps offsets into the batches in place instead of copying them
/// (see [`crate::message::decode_request_mut`]).
#[derive(Debug, PartialEq, Eq, Default)]
pub struct FrameMut {
    /// The flatbuffers header, not yet verified.
    pub header: Bytes,
    /// The payload, mutable.
    pub payload: BytesMut,
}

impl FrameMut {
    /// Bytes this frame took on the wire, prefix included.
    pub fn wire_len(&self) -> usize {
        crate::limits::FRAME_PREFIX_BYTES + self.header.len() + self.payload.len()
    }

    /// Gives up mutability: a [`Frame`] over the same bytes, no copy.
    pub fn freeze(self) -> Frame {
        Frame { header: self.header, payload: self.payload.freeze() }
    }
}

/// Why a byte stream is not a valid sequence of frames (or why a frame cannot be encoded).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The length prefix announces more than the frame size limit.
    #[error("frame of {length} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Announced (or, when encoding, computed) length, prefix excluded.
        length: usize,
        /// The limit in force.
        max: usize,
    },
    /// The length prefix is too small to hold even the header-length field.
    #[error("frame length {length} is below the minimum of {min} bytes")]
    TooShort {
        /// Announced length.
        length: usize,
        /// The minimum ([`crate::limits::FRAME_LENGTH_MIN`]).
        min: usize,
    },
    /// The header length exceeds the header size limit.
    #[error("frame header of {header_length} bytes exceeds the limit of {max} bytes")]
    HeaderTooLarge {
        /// Announced header length.
        header_length: usize,
        /// The limit ([`crate::limits::FRAME_HEADER_BYTES_MAX`]).
        max: usize,
    },
    /// The header length does not fit inside the frame.
    #[error("frame header of {header_length} bytes does not fit in a frame of {length} bytes")]
    HeaderExceedsFrame {
        /// Announced header length.
        header_length: usize,
        /// Announced frame length, prefix excluded.
        length: usize,
    },
    /// An earlier call failed; the stream position is lost, so nothing more can be decoded.
    #[error("frame decoder failed earlier: {0}")]
    Poisoned(Box<FrameError>),
}
