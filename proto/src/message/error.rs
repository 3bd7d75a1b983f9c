//! Why a message could not be decoded or encoded.

use super::{ApiKey, ErrorResponse, Response, ResponseBody};
use crate::frame::FrameError;
use crate::ErrorCode;

/// The header fields of a message that was readable even though the message as a whole was
/// not: enough for the broker to answer with an error instead of dropping the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeaderInfo {
    /// The request's correlation id.
    pub correlation_id: u32,
    /// The raw API key (possibly one this build does not know).
    pub api_key: u16,
    /// The requested API version.
    pub api_version: u16,
}

/// What is wrong with a received message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeErrorKind {
    /// The header is not a valid flatbuffer of the expected root type, or breaks the
    /// verifier's limits. Nothing in it can be trusted.
    #[error("header failed flatbuffers verification: {0}")]
    Verification(#[from] flatbuffers::InvalidFlatbuffer),
    /// The header lacks the expected file identifier: it is not a Sluice request (or
    /// response), or it travels in the wrong direction.
    #[error("header does not carry the file identifier {expected:?}")]
    WrongIdentifier {
        /// The identifier that was expected ([`super::REQUEST_IDENTIFIER`] or
        /// [`super::RESPONSE_IDENTIFIER`]).
        expected: &'static str,
    },
    /// The API key is not one this build knows.
    #[error("unknown API key {0}")]
    UnknownApi(u16),
    /// The API is known but not at this version.
    #[error("{api:?} version {version} is not supported (supported: {min}..={max})")]
    UnsupportedVersion {
        /// The API.
        api: ApiKey,
        /// The version asked for.
        version: u16,
        /// Oldest supported version.
        min: u16,
        /// Newest supported version.
        max: u16,
    },
    /// The header has no body, or a body type this build does not know.
    #[error("message has no body (or an unknown body type {body_type})")]
    MissingBody {
        /// The raw union tag.
        body_type: u8,
    },
    /// The body is a different API's than the header's API key.
    #[error("header says API {api_key} but the body is a {body}")]
    BodyMismatch {
        /// The header's raw API key.
        api_key: u16,
        /// The body's table name.
        body: &'static str,
    },
    /// A field holds a value outside its domain (an unknown enum value, a negative timestamp
    /// other than the documented sentinels).
    #[error("field {field} has invalid value {value}")]
    InvalidValue {
        /// The schema field.
        field: &'static str,
        /// The value found.
        value: i64,
    },
    /// A payload range points outside the frame's payload.
    #[error("payload range {offset}+{len} is outside the {payload_len}-byte payload")]
    PayloadRangeOutOfBounds {
        /// Range start.
        offset: u32,
        /// Range length.
        len: u32,
        /// The payload's actual length.
        payload_len: usize,
    },
}

/// A message that could not be decoded, with its header fields when they were readable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct DecodeError {
    kind: DecodeErrorKind,
    header: Option<HeaderInfo>,
}

impl DecodeError {
    pub(crate) fn new(kind: DecodeErrorKind, header: Option<HeaderInfo>) -> Self {
        Self { kind, header }
    }

    /// What went wrong.
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.kind
    }

    /// The header fields, if the header passed verification.
    pub fn header(&self) -> Option<HeaderInfo> {
        self.header
    }

    /// The wire code that describes this error.
    pub fn error_code(&self) -> ErrorCode {
        match self.kind {
            DecodeErrorKind::UnknownApi(_) => ErrorCode::UnknownApi,
            DecodeErrorKind::UnsupportedVersion { .. } => ErrorCode::UnsupportedVersion,
            DecodeErrorKind::Verification(_)
            | DecodeErrorKind::WrongIdentifier { .. }
            | DecodeErrorKind::MissingBody { .. }
            | DecodeErrorKind::BodyMismatch { .. }
            | DecodeErrorKind::InvalidValue { .. }
            | DecodeErrorKind::PayloadRangeOutOfBounds { .. } => ErrorCode::InvalidRequest,
        }
    }

    /// Whether the connection must be closed: the header itself was unreadable, so there is
    /// no correlation id to answer to and the peer cannot be trusted to be in step.
    pub fn is_connection_fatal(&self) -> bool {
        self.header.is_none()
    }

    /// The response a broker sends for a request that failed to decode, or `None` when the
    /// connection must be closed instead ([`DecodeError::is_connection_fatal`]).
    pub fn error_response(&self) -> Option<Response> {
        let header = self.header?;
        Some(Response {
            correlation_id: header.correlation_id,
            api_version: header.api_version,
            body: ResponseBody::Error(ErrorResponse {
                api_key: header.api_key,
                error_code: self.error_code(),
                message: Some(self.kind.to_string()),
            }),
        })
    }
}

/// Why a message could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The message does not fit in a frame (too many batches, too large a header).
    #[error(transparent)]
    Frame(#[from] FrameError),
}
