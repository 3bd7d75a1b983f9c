//! Every way a received frame can be wrong yields its typed error, never a panic.

mod common;

use bytes::{Bytes, BytesMut};
use flatbuffers::FlatBufferBuilder;
use proptest::prelude::*;
use sluice_proto::frame::{Frame, FrameDecoder, FrameError};
use sluice_proto::generated as fb;
use sluice_proto::limits::{FRAME_BYTES_MAX, FRAME_HEADER_BYTES_MAX};
use sluice_proto::message::*;
use sluice_proto::ErrorCode;

/// A request header built by hand, so it can say things our encoder never would.
fn raw_request(
    api: u16,
    api_version: u16,
    body: impl FnOnce(
        &mut FlatBufferBuilder<'static>,
    )
        -> (fb::RequestBody, Option<flatbuffers::WIPOffset<flatbuffers::UnionWIPOffset>>),
) -> Bytes {
    let mut fbb = FlatBufferBuilder::new();
    let (body_type, body) = body(&mut fbb);
    let root = fb::Request::create(
        &mut fbb,
        &fb::RequestArgs { correlation_id: 99, api: fb::ApiKey(api), api_version, body_type, body },
    );
    fbb.finish(root, Some(REQUEST_IDENTIFIER));
    Bytes::copy_from_slice(fbb.finished_data())
}

fn list_topics_body(
    fbb: &mut FlatBufferBuilder<'static>,
) -> (fb::RequestBody, Option<flatbuffers::WIPOffset<flatbuffers::UnionWIPOffset>>) {
    let body = fb::ListTopicsRequest::create(fbb, &fb::ListTopicsRequestArgs {});
    (fb::RequestBody::ListTopicsRequest, Some(body.as_union_value()))
}

fn frame(header: Bytes) -> Frame {
    Frame { header, payload: Bytes::new() }
}

#[test]
fn given_unknown_api_when_decoding_should_answer_unknown_api_with_the_correlation_id() {
    let error = decode_request(&frame(raw_request(999, 0, list_topics_body))).unwrap_err();
    assert_eq!(error.kind(), &DecodeErrorKind::UnknownApi(999));
    assert_eq!(error.error_code(), ErrorCode::UnknownApi);
    assert!(!error.is_connection_fatal());
    let response = error.error_response().unwrap();
    assert_eq!(response.correlation_id, 99);
    assert_eq!(response.api_key_raw(), 999);
    assert_eq!(response.body.error_code(), ErrorCode::UnknownApi);
    // The broker can send that response and the client can read it.
    let bytes = encode_response(&response).unwrap().to_bytes();
    let frame = FrameDecoder::new().decode(&mut BytesMut::from(&bytes[..])).unwrap().unwrap();
    assert_eq!(decode_response(&frame).unwrap(), response);
}

#[test]
fn given_unsupported_version_when_decoding_should_report_supported_range() {
    let api = ApiKey::ListTopics.as_u16();
    let error = decode_request(&frame(raw_request(api, 7, list_topics_body))).unwrap_err();
    assert_eq!(
        error.kind(),
        &DecodeErrorKind::UnsupportedVersion {
            api: ApiKey::ListTopics,
            version: 7,
            min: 0,
            max: 0
        }
    );
    assert_eq!(error.error_code(), ErrorCode::UnsupportedVersion);
    assert_eq!(error.header().unwrap().correlation_id, 99);
}

#[test]
fn given_body_of_another_api_when_decoding_should_fail_with_body_mismatch() {
    let api = ApiKey::Fetch.as_u16();
    let error = decode_request(&frame(raw_request(api, 0, list_topics_body))).unwrap_err();
    assert_eq!(
        error.kind(),
        &DecodeErrorKind::BodyMismatch { api_key: api, body: "ListTopicsRequest" }
    );
    assert_eq!(error.error_code(), ErrorCode::InvalidRequest);
}

#[test]
fn given_no_body_when_decoding_should_fail_with_missing_body() {
    let api = ApiKey::ListTopics.as_u16();
    let header = raw_request(api, 0, |_| (fb::RequestBody::NONE, None));
    let error = decode_request(&frame(header)).unwrap_err();
    assert_eq!(error.kind(), &DecodeErrorKind::MissingBody { body_type: 0 });
}

#[test]
fn given_unknown_acks_value_when_decoding_should_fail_with_invalid_value() {
    let header = raw_request(ApiKey::Produce.as_u16(), 0, |fbb| {
        let topics = fbb.create_vector::<flatbuffers::WIPOffset<fb::ProduceTopic<'_>>>(&[]);
        let body = fb::ProduceRequest::create(
            fbb,
            &fb::ProduceRequestArgs { acks: fb::Acks(7), timeout_ms: 0, topics: Some(topics) },
        );
        (fb::RequestBody::ProduceRequest, Some(body.as_union_value()))
    });
    let error = decode_request(&frame(header)).unwrap_err();
    assert_eq!(
        error.kind(),
        &DecodeErrorKind::InvalidValue { field: "ProduceRequest.acks", value: 7 }
    );
}

#[test]
fn given_negative_timestamp_other_than_sentinels_when_decoding_list_offsets_should_fail() {
    let header = raw_request(ApiKey::ListOffsets.as_u16(), 0, |fbb| {
        let partition = fb::ListOffsetsPartition::create(
            fbb,
            &fb::ListOffsetsPartitionArgs { partition: 0, timestamp: -5 },
        );
        let partitions = fbb.create_vector(&[partition]);
        let name = fbb.create_string("t");
        let topic = fb::ListOffsetsTopic::create(
            fbb,
            &fb::ListOffsetsTopicArgs { name: Some(name), partitions: Some(partitions) },
        );
        let topics = fbb.create_vector(&[topic]);
        let body = fb::ListOffsetsRequest::create(
            fbb,
            &fb::ListOffsetsRequestArgs { topics: Some(topics) },
        );
        (fb::RequestBody::ListOffsetsRequest, Some(body.as_union_value()))
    });
    let error = decode_request(&frame(header)).unwrap_err();
    assert_eq!(
        error.kind(),
        &DecodeErrorKind::InvalidValue { field: "ListOffsetsPartition.timestamp", value: -5 }
    );
}

fn produce_request() -> Request {
    common::sample_requests()
        .into_iter()
        .find(|request| request.api_key() == ApiKey::Produce)
        .unwrap()
}

#[test]
fn given_payload_shorter_than_its_ranges_when_decoding_should_fail_with_range_error() {
    let encoded = encode_request(&produce_request()).unwrap();
    let header = encoded.head().slice(8..);
    let payload: Vec<u8> = encoded.payload().iter().flat_map(|c| c.iter().copied()).collect();
    let short = Bytes::from(payload[..payload.len() - 1].to_vec());
    let error = decode_request(&Frame { header, payload: short }).unwrap_err();
    assert!(matches!(error.kind(), DecodeErrorKind::PayloadRangeOutOfBounds { .. }), "{error:?}");
    assert_eq!(error.error_code(), ErrorCode::InvalidRequest);
    assert!(error.error_response().is_some(), "a bad range is answered, not fatal");
}

#[test]
fn given_truncated_header_when_decoding_should_fail_verification_and_be_fatal() {
    let encoded = encode_request(&produce_request()).unwrap();
    let header = encoded.head().slice(8..);
    // Cutting only trailing bytes can leave a header that still verifies (the cut part may be
    // padding), so the cuts here remove bytes the root table needs.
    for cut in [8, 12, header.len() / 2] {
        let error = decode_request(&frame(header.slice(..cut))).unwrap_err();
        assert!(matches!(error.kind(), DecodeErrorKind::Verification(_)), "cut {cut}: {error:?}");
        assert!(error.is_connection_fatal());
        assert_eq!(error.error_response(), None);
    }
    // Too short to hold even the file identifier.
    for cut in [0, 1, 4, 7] {
        let error = decode_request(&frame(header.slice(..cut))).unwrap_err();
        assert_eq!(
            error.kind(),
            &DecodeErrorKind::WrongIdentifier { expected: REQUEST_IDENTIFIER }
        );
        assert!(error.is_connection_fatal());
    }
}

#[test]
fn given_aliased_strings_when_verifying_should_reject_the_apparent_size() {
    // One 4 KiB string referenced 1024 times: a 12 KiB header that would decode into 4 MiB.
    let mut fbb = FlatBufferBuilder::new();
    let name = fbb.create_string(&"x".repeat(4096));
    let topics = fbb.create_vector(&vec![name; 1024]);
    let body =
        fb::MetadataRequest::create(&mut fbb, &fb::MetadataRequestArgs { topics: Some(topics) });
    let root = fb::Request::create(
        &mut fbb,
        &fb::RequestArgs {
            correlation_id: 1,
            api: fb::ApiKey::Metadata,
            api_version: 0,
            body_type: fb::RequestBody::MetadataRequest,
            body: Some(body.as_union_value()),
        },
    );
    fbb.finish(root, Some(REQUEST_IDENTIFIER));
    let header = Bytes::copy_from_slice(fbb.finished_data());
    assert!(header.len() < FRAME_HEADER_BYTES_MAX);
    let error = decode_request(&frame(header)).unwrap_err();
    assert!(
        matches!(
            error.kind(),
            DecodeErrorKind::Verification(flatbuffers::InvalidFlatbuffer::ApparentSizeTooLarge)
        ),
        "{error:?}"
    );
}

#[test]
fn given_oversized_frame_when_decoding_should_fail_before_buffering() {
    let mut buffer = BytesMut::new();
    buffer.extend_from_slice(&((FRAME_BYTES_MAX + 1) as u32).to_le_bytes());
    buffer.extend_from_slice(&0u32.to_le_bytes());
    let error = FrameDecoder::new().decode(&mut buffer).unwrap_err();
    assert_eq!(error, FrameError::TooLarge { length: FRAME_BYTES_MAX + 1, max: FRAME_BYTES_MAX });
}

#[test]
fn given_header_length_beyond_frame_when_decoding_should_fail() {
    let mut buffer = BytesMut::new();
    buffer.extend_from_slice(&10u32.to_le_bytes());
    buffer.extend_from_slice(&7u32.to_le_bytes());
    buffer.extend_from_slice(&[0; 6]);
    let error = FrameDecoder::new().decode(&mut buffer).unwrap_err();
    assert_eq!(error, FrameError::HeaderExceedsFrame { header_length: 7, length: 10 });
}

#[test]
fn given_truncated_stream_when_decoding_should_wait_for_more_bytes() {
    let bytes = encode_request(&produce_request()).unwrap().to_bytes();
    for cut in 0..bytes.len() {
        let mut buffer = BytesMut::from(&bytes[..cut]);
        assert_eq!(FrameDecoder::new().decode(&mut buffer), Ok(None), "cut at {cut}");
        assert_eq!(buffer.len(), cut, "a partial frame is not consumed");
    }
}

/// The full receive path a broker or client runs on bytes from the network.
fn decode_everything(bytes: &[u8]) {
    let mut decoder = FrameDecoder::new();
    let mut buffer = BytesMut::from(bytes);
    for _ in 0..bytes.len() + 1 {
        match decoder.decode(&mut buffer) {
            Ok(Some(frame)) => {
                if let Err(error) = decode_request(&frame) {
                    let _ = error.error_response();
                }
                let _ = decode_response(&frame);
            }
            Ok(None) | Err(_) => return,
        }
    }
    panic!("decoder made no progress");
}

proptest! {
    #[test]
    fn random_garbage_should_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_everything(&bytes);
    }

    #[test]
    fn random_headers_inside_valid_frames_should_never_panic(
        header in prop::collection::vec(any::<u8>(), 0..512),
        payload in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let frame = Frame { header: Bytes::from(header), payload: Bytes::from(payload) };
        let _ = decode_request(&frame);
        let _ = decode_response(&frame);
    }

    #[test]
    fn corrupted_valid_frames_should_never_panic(
        index in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        xor in 1u8..,
    ) {
        let requests = common::sample_requests();
        let request = index.get(&requests);
        let mut bytes = encode_request(request).unwrap().to_bytes().to_vec();
        let at = at.index(bytes.len());
        bytes[at] ^= xor;
        decode_everything(&bytes);
    }
}

#[test]
fn given_response_frame_when_decoded_as_request_should_fail_with_wrong_identifier() {
    for response in common::sample_responses() {
        let encoded = encode_response(&response).unwrap();
        let bytes = encoded.to_bytes();
        let frame = FrameDecoder::new().decode(&mut BytesMut::from(&bytes[..])).unwrap().unwrap();
        let error = decode_request(&frame).unwrap_err();
        assert_eq!(
            error.kind(),
            &DecodeErrorKind::WrongIdentifier { expected: REQUEST_IDENTIFIER }
        );
        assert!(error.is_connection_fatal());
    }
    for request in common::sample_requests() {
        let bytes = encode_request(&request).unwrap().to_bytes();
        let frame = FrameDecoder::new().decode(&mut BytesMut::from(&bytes[..])).unwrap().unwrap();
        let error = decode_response(&frame).unwrap_err();
        assert_eq!(
            error.kind(),
            &DecodeErrorKind::WrongIdentifier { expected: RESPONSE_IDENTIFIER }
        );
    }
}
