//! Typed requests and responses, and their translation to and from frames.
//!
//! Every message is an owned Rust value ([`Request`], [`Response`]) built from plain structs,
//! one per API. [`MessageEncoder`] turns one into an [`OutgoingFrame`]: a flatbuffers header
//! plus the record-batch bytes as separate payload chunks ([`BatchBytes`]), never copied.
//! [`decode_request`] and [`decode_response`] go the other way: they run the flatbuffers
//! verifier on the header (with [`verifier_options`]) before reading a single field, check the
//! API key and version, and resolve payload ranges to zero-copy slices of the frame's payload.
//!
//! Decoding allocates per request (names, vectors), never per record: batch bytes stay opaque.
//!
//! Only this module (and [`crate::generated`]) knows flatbuffers; the broker and the client
//! speak in the types re-exported here.
//!
//! ```
//! use bytes::BytesMut;
//! use sluice_proto::frame::FrameDecoder;
//! use sluice_proto::message::*;
//! use sluice_proto::ErrorCode;
//!
//! // Client: build and encode a produce request; the batch bytes are not copied.
//! let batch = BatchBytes::from(vec![0u8; 61]);
//! let request = Request::new(
//!     7,
//!     ProduceRequest {
//!         acks: Acks::All,
//!         timeout_ms: 1_000,
//!         topics: vec![ProduceTopic {
//!             name: "orders".into(),
//!             partitions: vec![ProducePartition { partition: 0, records: batch }],
//!         }],
//!     },
//! );
//! let mut encoder = MessageEncoder::new();
//! let outgoing = encoder.encode_request(&request)?;
//! // A real client writes `outgoing.io_slices()` with one vectored write.
//! let mut received = BytesMut::from(&outgoing.to_bytes()[..]);
//!
//! // Broker: cut frames out of the receive buffer, decode, answer.
//! let mut decoder = FrameDecoder::new();
//! while let Some(frame) = decoder.decode(&mut received)? {
//!     let response = match decode_request(&frame) {
//!         Ok(request) => request.respond(ProduceResponse {
//!             error_code: ErrorCode::None,
//!             topics: vec![],
//!         }),
//!         Err(error) => match error.error_response() {
//!             Some(response) => response,
//!             None => break, // the header is unreadable: close the connection
//!         },
//!     };
//!     let _reply = encoder.encode_response(&response)?;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod api;
mod api_versions;
mod encoder;
mod error;
mod fetch;
mod group;
mod list_offsets;
mod metadata;
mod offsets;
mod payload;
mod produce;
mod produce_mut;
mod request;
mod response;
mod topic_admin;
mod wire;

pub use api::{supported_api_versions, ApiKey, ApiVersionRange};
pub use api_versions::{ApiVersionsRequest, ApiVersionsResponse};
pub use encoder::{encode_request, encode_response, MessageEncoder};
pub use error::{DecodeError, DecodeErrorKind, EncodeError, HeaderInfo};
pub use fetch::{
    FetchPartition, FetchPartitionResult, FetchRequest, FetchResponse, FetchTopic, FetchTopicResult,
};
pub use group::{
    DescribeGroupRequest, DescribeGroupResponse, GroupListing, GroupMember, GroupState,
    HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest, LeaveGroupResponse, ListGroupsRequest,
    ListGroupsResponse, MembershipResponse, TopicPartitions, ASSIGNOR_RANGE, ASSIGNOR_STICKY,
    MEMBER_EPOCH_JOIN,
};
pub use list_offsets::{
    ListOffsetsPartition, ListOffsetsPartitionResult, ListOffsetsRequest, ListOffsetsResponse,
    ListOffsetsTopic, ListOffsetsTopicResult, OffsetQuery, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP,
};
pub use metadata::{
    BrokerMetadata, MetadataRequest, MetadataResponse, PartitionMetadata, TopicMetadata,
};
pub use offsets::{
    OffsetCommitPartition, OffsetCommitPartitionResult, OffsetCommitRequest, OffsetCommitResponse,
    OffsetCommitTopic, OffsetCommitTopicResult, OffsetFetchPartitionResult, OffsetFetchRequest,
    OffsetFetchResponse, OffsetFetchTopicResult, ADMIN_MEMBER_EPOCH,
};
pub use payload::BatchBytes;
pub use produce::{
    Acks, ProducePartition, ProducePartitionResult, ProduceRequest, ProduceResponse, ProduceTopic,
    ProduceTopicResult,
};
pub use produce_mut::{
    decode_request_mut, IncomingRequest, ProducePartitionMut, ProduceRequestMut, ProduceTopicMut,
};
pub use request::{decode_request, verify_request_header, Request, RequestBody};
pub use response::{
    decode_response, verify_response_header, ErrorResponse, Response, ResponseBody,
};
pub use topic_admin::{
    CreatableTopic, CreateTopicsRequest, CreateTopicsResponse, DeleteTopicsRequest,
    DeleteTopicsResponse, DescribeTopicsRequest, DescribeTopicsResponse, FlushPolicy,
    ListTopicsRequest, ListTopicsResponse, PartitionDescription, TopicConfig, TopicDescription,
    TopicListing, TopicResult,
};

pub use crate::frame::OutgoingFrame;

use crate::limits::{VERIFIER_APPARENT_BYTES_MAX, VERIFIER_DEPTH_MAX, VERIFIER_TABLES_MAX};

/// The flatbuffers file identifier of every request header (bytes 4..8 of the header). It tells
/// a request from a response (their root tables look alike) and rejects most foreign or
/// misdirected bytes before the verifier runs.
pub const REQUEST_IDENTIFIER: &str = "SLRQ";

/// The flatbuffers file identifier of every response header.
pub const RESPONSE_IDENTIFIER: &str = "SLRS";

/// Whether `header` carries `identifier` at bytes 4..8 (flatbuffers' file identifier slot).
/// Unlike `flatbuffers::buffer_has_identifier`, a short buffer is an answer, not a panic.
pub(crate) fn has_identifier(header: &[u8], identifier: &'static str) -> bool {
    header.get(4..8) == Some(identifier.as_bytes())
}

/// The limits every received header is verified under (see [`crate::limits`]).
pub fn verifier_options() -> flatbuffers::VerifierOptions {
    flatbuffers::VerifierOptions {
        max_depth: VERIFIER_DEPTH_MAX,
        max_tables: VERIFIER_TABLES_MAX,
        max_apparent_size: VERIFIER_APPARENT_BYTES_MAX,
        ignore_missing_null_terminator: false,
    }
}
