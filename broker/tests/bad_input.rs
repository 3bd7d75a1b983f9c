//! Every kind of bad input gets a documented error code, or (for broken framing) a clean close
//! of that one connection; the broker keeps serving everyone else and no data is corrupted.

mod support;

use sluice_proto::message::*;
use sluice_proto::ErrorCode;
use support::*;

/// The broker still answers a fresh client and still has the records produced before.
fn assert_still_healthy(broker: &TestBroker, topic: &str, records: usize) {
    let mut client = broker.client();
    let fetched = client.fetch(topic, 0, 0, 0, 1);
    assert_eq!(fetched.error_code, ErrorCode::None);
    assert_eq!(values(&fetched.records).len(), records, "stored data intact");
}

fn healthy_broker() -> TestBroker {
    let broker = TestBroker::start(2);
    let mut client = broker.client();
    client.create_topic("ok", 1);
    client.produce("ok", 0, batch("good", 3));
    broker
}

fn assert_closed(client: &mut TestClient) {
    assert!(client.try_recv().is_none(), "the broker closes a connection whose framing broke");
}

#[test]
fn given_random_garbage_should_close_only_that_connection() {
    let broker = healthy_broker();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..20 {
        let mut garbage = vec![0u8; 64];
        for byte in &mut garbage {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            *byte = seed as u8;
        }
        // A frame length the broker will read in full, followed by garbage.
        let mut frame = (garbage.len() as u32).to_le_bytes().to_vec();
        frame.extend_from_slice(&garbage);
        let mut client = broker.client();
        client.send_raw(&frame);
        assert_closed(&mut client);
    }
    assert_still_healthy(&broker, "ok", 3);
}

#[test]
fn given_oversized_frame_length_should_close_without_buffering_it() {
    let broker = healthy_broker();
    let mut client = broker.client();
    client.send_raw(&u32::MAX.to_le_bytes());
    assert_closed(&mut client);
    let mut client = broker.client();
    // A header longer than its frame.
    let mut frame = 12u32.to_le_bytes().to_vec();
    frame.extend_from_slice(&100u32.to_le_bytes());
    frame.extend_from_slice(&[0; 8]);
    client.send_raw(&frame);
    assert_closed(&mut client);
    assert_still_healthy(&broker, "ok", 3);
}

#[test]
fn given_unsupported_version_or_group_api_should_answer_with_error_codes() {
    let broker = healthy_broker();
    let mut client = broker.client();
    let mut encoder = MessageEncoder::new();
    let mut request = Request::new(77, MetadataRequest { topics: vec![] });
    request.api_version = 999;
    client.send_raw(&encoder.encode_request(&request).unwrap().to_bytes());
    let response = client.recv();
    assert_eq!(response.correlation_id, 77);
    match response.body {
        ResponseBody::Error(e) => assert_eq!(e.error_code, ErrorCode::UnsupportedVersion),
        other => panic!("unexpected {other:?}"),
    }
    let join = JoinGroupRequest { group_id: "g".into(), ..Default::default() };
    match client.call(join) {
        ResponseBody::Error(e) => assert_eq!(e.error_code, ErrorCode::UnknownApi),
        other => panic!("unexpected {other:?}"),
    }
    let versions = match client.call(ApiVersionsRequest::default()) {
        ResponseBody::ApiVersions(v) => v,
        other => panic!("unexpected {other:?}"),
    };
    assert!(versions.api_versions.iter().all(|v| v.api != ApiKey::JoinGroup), "not advertised");
    assert_eq!(versions.shard_count, 2);
    assert_still_healthy(&broker, "ok", 3);
}

#[test]
fn given_bad_topic_requests_should_answer_per_topic_error_codes() {
    let broker = healthy_broker();
    let mut client = broker.client();
    let config = |partitions| TopicConfig { partitions: Some(partitions), ..Default::default() };
    assert_eq!(client.try_create_topic("bad/name", config(1)), ErrorCode::InvalidTopicName);
    assert_eq!(client.try_create_topic("__internal", config(1)), ErrorCode::InvalidTopicName);
    assert_eq!(client.try_create_topic("", config(1)), ErrorCode::InvalidTopicName);
    assert_eq!(client.try_create_topic("zero", config(0)), ErrorCode::InvalidPartitionCount);
    assert_eq!(client.try_create_topic("ok", config(1)), ErrorCode::TopicAlreadyExists);
    let replicated = TopicConfig { replication_factor: Some(3), ..Default::default() };
    assert_eq!(client.try_create_topic("rf", replicated), ErrorCode::InvalidReplicationFactor);
    let tiny = TopicConfig { segment_bytes: Some(10), ..Default::default() };
    assert_eq!(client.try_create_topic("tiny", tiny), ErrorCode::InvalidConfig);
    let interval = TopicConfig { flush_policy: Some(FlushPolicy::Interval), ..Default::default() };
    assert_eq!(client.try_create_topic("interval", interval), ErrorCode::InvalidConfig);
    let metadata = client.metadata(&["nope"]);
    assert_eq!(metadata.topics[0].error_code, ErrorCode::UnknownTopic);
    assert_still_healthy(&broker, "ok", 3);
}

#[test]
fn given_bad_partition_requests_should_answer_per_partition_error_codes() {
    let broker = healthy_broker();
    let mut client = broker.client();
    assert_eq!(client.produce("nope", 0, batch("x", 1)).0, ErrorCode::UnknownTopic);
    assert_eq!(client.produce("ok", 7, batch("x", 1)).0, ErrorCode::UnknownPartition);
    assert_eq!(client.fetch("ok", 7, 0, 0, 1).error_code, ErrorCode::UnknownPartition);
    assert_eq!(client.fetch("ok", 0, 99, 0, 1).error_code, ErrorCode::OffsetOutOfRange);
    assert_eq!(client.fetch("ok", 0, -5, 0, 1).error_code, ErrorCode::OffsetOutOfRange);
    assert_eq!(client.produce("ok", 0, bytes::Bytes::new()).0, ErrorCode::InvalidRecord);
    assert_still_healthy(&broker, "ok", 3);
}

#[test]
fn given_corrupt_batches_should_reject_them_and_store_nothing() {
    let broker = healthy_broker();
    let mut client = broker.client();
    let good = batch("c", 2);
    let mut flipped = good.to_vec();
    let last = flipped.len() - 1;
    flipped[last] ^= 0xff;
    assert_eq!(client.produce("ok", 0, flipped.into()).0, ErrorCode::CorruptMessage);
    let mut bad_magic = good.to_vec();
    bad_magic[16] = 1;
    assert_eq!(client.produce("ok", 0, bad_magic.into()).0, ErrorCode::CorruptMessage);
    let truncated = good.slice(..good.len() - 3);
    assert_eq!(client.produce("ok", 0, truncated).0, ErrorCode::CorruptMessage);
    // Two batches where the second is corrupt: neither is appended.
    let mut pair = good.to_vec();
    let mut second = good.to_vec();
    second[70] ^= 1;
    pair.extend_from_slice(&second);
    assert_eq!(client.produce("ok", 0, pair.into()).0, ErrorCode::CorruptMessage);
    assert_still_healthy(&broker, "ok", 3);
}

#[test]
fn given_connection_limit_should_refuse_extra_connections_and_keep_serving_the_rest() {
    let broker = TestBroker::start_with(1, &["--max-connections", "2"]);
    let mut first = broker.client();
    let mut second = broker.client();
    first.create_topic("limit", 1);
    let mut third = broker.client();
    third.send(ApiVersionsRequest::default());
    assert!(third.try_recv().is_none(), "the third connection is refused");
    assert!(matches!(second.call(ApiVersionsRequest::default()), ResponseBody::ApiVersions(_)));
    eventually("the refusal to be counted", || {
        broker.metric_sum("sluice_connections_refused_total") >= 1.0
    });
}

#[test]
fn given_bad_flags_should_exit_2_with_a_message_naming_the_key() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sluice-broker"))
        .args(["--shards", "0"])
        .output()
        .expect("run broker");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("shards"), "{stderr}");
}
