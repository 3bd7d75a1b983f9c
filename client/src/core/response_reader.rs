//! Cutting responses out of the bytes a connection receives, shared by every I/O layer.

use bytes::BytesMut;
use sluice_proto::frame::FrameDecoder;
use sluice_proto::message::{decode_response, Response};

use crate::error::{ClientError, Result};

/// Buffers received bytes and yields whole, verified responses. After an error the stream is
/// out of step and the connection must be closed.
#[derive(Debug, Default)]
pub struct ResponseReader {
    decoder: FrameDecoder,
    buffer: BytesMut,
}

impl ResponseReader {
    /// An empty reader.
    pub fn new() -> Self {
        Self::default()
    }

    /// The buffer to read socket bytes into; reserve, then extend it.
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        &mut self.buffer
    }

    /// Appends received bytes.
    pub fn extend(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next whole response, if the buffer holds one.
    pub fn next_response(&mut self) -> Result<Option<Response>> {
        let Some(frame) = self
            .decoder
            .decode(&mut self.buffer)
            .map_err(|error| ClientError::Protocol(error.to_string()))?
        else {
            return Ok(None);
        };
        decode_response(&frame).map(Some).map_err(|error| ClientError::Protocol(error.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use sluice_proto::message::{encode_response, ListTopicsResponse};

    use super::*;

    #[test]
    fn given_a_response_split_in_two_when_reading_should_yield_it_once_whole() {
        let response = Response {
            correlation_id: 7,
            api_version: 0,
            body: ListTopicsResponse::default().into(),
        };
        let bytes = encode_response(&response).unwrap().to_bytes();
        let mut reader = ResponseReader::new();
        reader.extend(&bytes[..5]);
        assert!(reader.next_response().unwrap().is_none());
        reader.extend(&bytes[5..]);
        assert_eq!(reader.next_response().unwrap().unwrap().correlation_id, 7);
        assert!(reader.next_response().unwrap().is_none());
    }

    #[test]
    fn given_garbage_when_reading_should_fail_with_protocol_error() {
        let mut reader = ResponseReader::new();
        reader.extend(&[0xff; 16]);
        assert!(matches!(reader.next_response(), Err(ClientError::Protocol(_))));
    }
}
