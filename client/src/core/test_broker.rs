//! A scripted stand-in for the broker in core unit tests: decodes the frames the core emits
//! and builds the responses a test wants, with no sockets.

use bytes::BytesMut;
use sluice_proto::frame::{FrameDecoder, OutgoingFrame};
use sluice_proto::message::{
    decode_request, MetadataResponse, ProducePartitionResult, ProduceResponse, ProduceTopicResult,
    Request, RequestBody, Response, ResponseBody,
};
use sluice_proto::ErrorCode;

/// Decodes a frame the core produced.
pub(crate) fn decode(frame: &OutgoingFrame) -> Request {
    let mut bytes = BytesMut::from(&frame.to_bytes()[..]);
    let frame = FrameDecoder::new().decode(&mut bytes).unwrap().unwrap();
    decode_request(&frame).unwrap()
}

/// A response to `request` with `body`.
pub(crate) fn respond(request: &Request, body: impl Into<ResponseBody>) -> Response {
    request.respond(body)
}

/// Metadata for one topic of `partitions` partitions on two shards (9300 and 9301).
pub(crate) fn metadata(topic: &str, partitions: u32) -> MetadataResponse {
    crate::core::metadata_cache::tests::two_shard_metadata(topic, partitions)
}

/// A produce response giving each partition in `request` the code and base offset chosen by
/// `outcome(partition)`.
pub(crate) fn produce_response(
    request: &Request,
    outcome: impl Fn(u32) -> (ErrorCode, i64),
) -> Response {
    let RequestBody::Produce(produce) = &request.body else { panic!("not a produce: {request:?}") };
    let topics = produce
        .topics
        .iter()
        .map(|topic| ProduceTopicResult {
            name: topic.name.clone(),
            partitions: topic
                .partitions
                .iter()
                .map(|p| {
                    let (error_code, base_offset) = outcome(p.partition);
                    ProducePartitionResult {
                        partition: p.partition,
                        error_code,
                        base_offset,
                        log_append_time_ms: -1,
                        log_start_offset: 0,
                    }
                })
                .collect(),
        })
        .collect();
    respond(request, ProduceResponse { error_code: ErrorCode::None, topics })
}
