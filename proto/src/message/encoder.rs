//! Turning messages into frames.

use flatbuffers::FlatBufferBuilder;

use super::payload::PayloadWriter;
use super::{EncodeError, Request, Response, REQUEST_IDENTIFIER, RESPONSE_IDENTIFIER};
use crate::frame::OutgoingFrame;

/// Encodes messages into frames, reusing one flatbuffers builder so a connection does not
/// allocate a fresh header buffer per message.
#[derive(Debug, Default)]
pub struct MessageEncoder {
    fbb: FlatBufferBuilder<'static>,
}

impl MessageEncoder {
    /// An encoder with an empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Encodes a request. Its batch bytes become payload chunks of the frame, uncopied.
    pub fn encode_request(&mut self, request: &Request) -> Result<OutgoingFrame, EncodeError> {
        self.fbb.reset();
        let mut payload = PayloadWriter::default();
        let root = request.encode(&mut self.fbb, &mut payload);
        self.fbb.finish(root, Some(REQUEST_IDENTIFIER));
        Ok(OutgoingFrame::new(self.fbb.finished_data(), payload.into_chunks())?)
    }

    /// Encodes a response. Its batch bytes become payload chunks of the frame, uncopied.
    pub fn encode_response(&mut self, response: &Response) -> Result<OutgoingFrame, EncodeError> {
        self.fbb.reset();
        let mut payload = PayloadWriter::default();
        let root = response.encode(&mut self.fbb, &mut payload);
        self.fbb.finish(root, Some(RESPONSE_IDENTIFIER));
        Ok(OutgoingFrame::new(self.fbb.finished_data(), payload.into_chunks())?)
    }
}

/// Encodes a request with a throwaway [`MessageEncoder`].
pub fn encode_request(request: &Request) -> Result<OutgoingFrame, EncodeError> {
    MessageEncoder::new().encode_request(request)
}

/// Encodes a response with a throwaway [`MessageEncoder`].
pub fn encode_response(response: &Response) -> Result<OutgoingFrame, EncodeError> {
    MessageEncoder::new().encode_response(response)
}
