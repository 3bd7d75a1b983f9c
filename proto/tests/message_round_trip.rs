//! Every request and response survives encode -> frame bytes -> frame decoder -> decode.

mod common;

use std::collections::BTreeSet;

use bytes::BytesMut;
use proptest::prelude::*;
use sluice_proto::frame::FrameDecoder;
use sluice_proto::message::*;

fn request_round_trip(request: &Request) -> Request {
    let frame = encode_request(request).expect("encodes");
    let mut buffer = BytesMut::from(&frame.to_bytes()[..]);
    let decoded = FrameDecoder::new().decode(&mut buffer).expect("frames").expect("whole frame");
    assert!(buffer.is_empty());
    decode_request(&decoded).expect("decodes")
}

fn response_round_trip(response: &Response) -> Response {
    let frame = encode_response(response).expect("encodes");
    let mut buffer = BytesMut::from(&frame.to_bytes()[..]);
    let decoded = FrameDecoder::new().decode(&mut buffer).expect("frames").expect("whole frame");
    assert!(buffer.is_empty());
    decode_response(&decoded).expect("decodes")
}

#[test]
fn every_request_should_round_trip() {
    let requests = common::sample_requests();
    let apis: BTreeSet<ApiKey> = requests.iter().map(Request::api_key).collect();
    assert_eq!(apis.len(), ApiKey::ALL.len(), "a sample per API");
    for request in &requests {
        assert_eq!(&request_round_trip(request), request, "{:?}", request.api_key());
    }
}

#[test]
fn every_response_should_round_trip() {
    let responses = common::sample_responses();
    let apis: BTreeSet<u16> = responses.iter().map(Response::api_key_raw).collect();
    for api in ApiKey::ALL {
        assert!(apis.contains(&api.as_u16()), "no sample response for {api:?}");
    }
    for response in &responses {
        assert_eq!(&response_round_trip(response), response, "{:?}", response.body.api_key());
    }
}

#[test]
fn given_produce_request_when_encoding_should_carry_batches_as_uncopied_payload_chunks() {
    let records = common::batches(5, 1000);
    let request = Request::new(
        1,
        ProduceRequest {
            acks: Acks::All,
            timeout_ms: 10,
            topics: vec![ProduceTopic {
                name: "t".into(),
                partitions: vec![ProducePartition { partition: 0, records: records.clone() }],
            }],
        },
    );
    let frame = encode_request(&request).unwrap();
    let payload_ptrs: Vec<*const u8> = frame.payload().iter().map(|c| c.as_ptr()).collect();
    let record_ptrs: Vec<*const u8> = records.chunks().iter().map(|c| c.as_ptr()).collect();
    assert_eq!(payload_ptrs, record_ptrs);
}

#[test]
fn given_decoded_fetch_response_should_slice_batches_out_of_the_frame_payload() {
    let response = common::sample_responses()
        .into_iter()
        .find(|response| matches!(response.body, ResponseBody::Fetch(_)))
        .unwrap();
    let bytes = encode_response(&response).unwrap().to_bytes();
    let frame = FrameDecoder::new().decode(&mut BytesMut::from(&bytes[..])).unwrap().unwrap();
    let ResponseBody::Fetch(fetch) = decode_response(&frame).unwrap().body else {
        panic!("not a fetch response");
    };
    let records = &fetch.topics[0].partitions[0].records;
    assert_eq!(records.chunks().len(), 1);
    assert_eq!(records.chunks()[0].as_ptr(), frame.payload.as_ptr(), "zero-copy slice");
}

#[test]
fn given_one_encoder_when_encoding_many_messages_should_give_same_bytes_as_fresh_ones() {
    let mut encoder = MessageEncoder::new();
    for request in common::sample_requests() {
        let reused = encoder.encode_request(&request).unwrap().to_bytes();
        assert_eq!(reused, encode_request(&request).unwrap().to_bytes());
    }
}

fn arb_name() -> impl Strategy<Value = String> {
    "[a-z0-9._-]{0,24}"
}

fn arb_records() -> impl Strategy<Value = BatchBytes> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..4)
        .prop_map(|chunks| BatchBytes::from_chunks(chunks.into_iter().map(bytes::Bytes::from)))
}

fn arb_produce() -> impl Strategy<Value = Request> {
    let partition = (any::<u32>(), arb_records())
        .prop_map(|(partition, records)| ProducePartition { partition, records });
    let topic = (arb_name(), prop::collection::vec(partition, 0..5))
        .prop_map(|(name, partitions)| ProduceTopic { name, partitions });
    (
        any::<u32>(),
        prop_oneof![Just(Acks::None), Just(Acks::Leader), Just(Acks::All)],
        any::<u32>(),
        prop::collection::vec(topic, 0..4),
    )
        .prop_map(|(correlation_id, acks, timeout_ms, topics)| {
            Request::new(correlation_id, ProduceRequest { acks, timeout_ms, topics })
        })
}

fn arb_fetch_response() -> impl Strategy<Value = Response> {
    let partition = (any::<u32>(), any::<u16>(), any::<i64>(), any::<i64>(), arb_records())
        .prop_map(|(partition, code, high_watermark, log_start_offset, records)| {
            FetchPartitionResult {
                partition,
                error_code: sluice_proto::ErrorCode::from_wire(code),
                high_watermark,
                log_start_offset,
                last_stable_offset: high_watermark,
                records,
            }
        });
    let topic = (arb_name(), prop::collection::vec(partition, 0..5))
        .prop_map(|(name, partitions)| FetchTopicResult { name, partitions });
    (any::<u32>(), prop::collection::vec(topic, 0..4)).prop_map(|(correlation_id, topics)| {
        Response {
            correlation_id,
            api_version: 0,
            body: FetchResponse { error_code: sluice_proto::ErrorCode::None, topics }.into(),
        }
    })
}

fn arb_config() -> impl Strategy<Value = TopicConfig> {
    (
        (any::<Option<u32>>(), any::<Option<u16>>(), any::<Option<u64>>(), any::<Option<u64>>()),
        (
            any::<Option<i64>>(),
            any::<Option<i64>>(),
            prop::option::of(prop_oneof![
                Just(FlushPolicy::Always),
                Just(FlushPolicy::Interval),
                Just(FlushPolicy::Never)
            ]),
            any::<Option<u64>>(),
        ),
    )
        .prop_map(
            |(
                (partitions, replication_factor, segment_bytes, segment_ms),
                (retention_bytes, retention_ms, flush_policy, flush_interval_ms),
            )| TopicConfig {
                partitions,
                replication_factor,
                segment_bytes,
                segment_ms,
                retention_bytes,
                retention_ms,
                flush_policy,
                flush_interval_ms,
            },
        )
}

fn arb_code() -> impl Strategy<Value = sluice_proto::ErrorCode> {
    any::<u16>().prop_map(sluice_proto::ErrorCode::from_wire)
}

fn arb_topic_partitions() -> impl Strategy<Value = Vec<TopicPartitions>> {
    prop::collection::vec(
        (arb_name(), prop::collection::vec(any::<u32>(), 0..6))
            .prop_map(|(topic, partitions)| TopicPartitions { topic, partitions }),
        0..4,
    )
}

fn arb_metadata_response() -> impl Strategy<Value = Response> {
    let broker = (any::<i32>(), arb_name(), any::<u16>())
        .prop_map(|(node_id, host, port)| BrokerMetadata { node_id, host, port });
    let partition = (
        (any::<u32>(), arb_code(), any::<i32>(), any::<i32>()),
        (any::<u32>(), arb_name(), any::<u16>()),
    )
        .prop_map(
            |(
                (partition, error_code, leader_id, leader_epoch),
                (shard_id, shard_host, shard_port),
            )| {
                PartitionMetadata {
                    partition,
                    error_code,
                    leader_id,
                    leader_epoch,
                    shard_id,
                    shard_host,
                    shard_port,
                }
            },
        );
    let topic = (arb_name(), arb_code(), prop::collection::vec(partition, 0..6))
        .prop_map(|(name, error_code, partitions)| TopicMetadata { name, error_code, partitions });
    (
        any::<u32>(),
        arb_code(),
        prop::collection::vec(broker, 0..4),
        prop::collection::vec(topic, 0..4),
    )
        .prop_map(|(correlation_id, error_code, brokers, topics)| Response {
            correlation_id,
            api_version: 0,
            body: MetadataResponse { error_code, brokers, topics }.into(),
        })
}

fn arb_heartbeat() -> impl Strategy<Value = (Request, Response)> {
    (
        (arb_name(), arb_name(), any::<i32>()),
        prop::option::of(prop::collection::vec(arb_name(), 0..4)),
        prop::option::of(arb_topic_partitions()),
        (arb_code(), any::<u32>(), prop::option::of(arb_topic_partitions())),
    )
        .prop_map(
            |(
                (group_id, member_id, member_epoch),
                subscribed_topics,
                owned_partitions,
                (error_code, heartbeat_interval_ms, assignment),
            )| {
                let request = Request::new(
                    3,
                    HeartbeatRequest {
                        group_id,
                        member_id: member_id.clone(),
                        member_epoch,
                        subscribed_topics,
                        owned_partitions,
                    },
                );
                let response = request.respond(ResponseBody::Heartbeat(MembershipResponse {
                    error_code,
                    member_id,
                    member_epoch,
                    heartbeat_interval_ms,
                    assignment,
                }));
                (request, response)
            },
        )
}

fn arb_offset_commit() -> impl Strategy<Value = Request> {
    let partition = (any::<u32>(), any::<i64>(), any::<i32>(), prop::option::of(".{0,16}"))
        .prop_map(|(partition, offset, leader_epoch, metadata)| OffsetCommitPartition {
            partition,
            offset,
            leader_epoch,
            metadata,
        });
    let topic = (arb_name(), prop::collection::vec(partition, 0..4))
        .prop_map(|(name, partitions)| OffsetCommitTopic { name, partitions });
    (arb_name(), arb_name(), any::<i32>(), prop::collection::vec(topic, 0..4)).prop_map(
        |(group_id, member_id, member_epoch, topics)| {
            Request::new(4, OffsetCommitRequest { group_id, member_id, member_epoch, topics })
        },
    )
}

proptest! {
    #[test]
    fn any_metadata_response_should_round_trip(response in arb_metadata_response()) {
        prop_assert_eq!(response_round_trip(&response), response);
    }

    #[test]
    fn any_heartbeat_exchange_should_round_trip((request, response) in arb_heartbeat()) {
        prop_assert_eq!(request_round_trip(&request), request);
        prop_assert_eq!(response_round_trip(&response), response);
    }

    #[test]
    fn any_offset_commit_should_round_trip(request in arb_offset_commit()) {
        prop_assert_eq!(request_round_trip(&request), request);
    }

    #[test]
    fn any_produce_request_should_round_trip(request in arb_produce()) {
        prop_assert_eq!(request_round_trip(&request), request);
    }

    #[test]
    fn any_fetch_response_should_round_trip(response in arb_fetch_response()) {
        prop_assert_eq!(response_round_trip(&response), response);
    }

    #[test]
    fn any_topic_config_should_round_trip_with_unset_fields_kept_unset(
        config in arb_config(),
        name in arb_name(),
    ) {
        let request = Request::new(1, CreateTopicsRequest {
            topics: vec![CreatableTopic { name, config }],
            timeout_ms: 0,
            validate_only: false,
        });
        prop_assert_eq!(request_round_trip(&request), request);
    }

    #[test]
    fn any_offset_query_at_or_below_i64_max_should_round_trip(timestamp_ms in 0..=i64::MAX as u64) {
        let query = OffsetQuery::AtTimestamp(timestamp_ms);
        prop_assert_eq!(OffsetQuery::from_wire(query.to_wire()), Some(query));
    }
}
