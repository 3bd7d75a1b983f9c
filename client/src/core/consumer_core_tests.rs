//! Deterministic consumer-core tests: made-up instants, scripted responses, no sockets.

use std::time::Duration;

use bytes::Bytes;
use sluice_proto::message::{
    FetchPartitionResult, FetchResponse, FetchTopicResult, ListOffsetsPartitionResult,
    ListOffsetsResponse, ListOffsetsTopicResult, Request, RequestBody,
};
use sluice_proto::record_batch::BatchBuilder;

use super::*;
use crate::core::test_broker::{decode, metadata, respond};

fn bootstrap() -> Endpoint {
    Endpoint::new("127.0.0.1", 9292)
}

fn tp(partition: u32) -> TopicPartition {
    TopicPartition::new("t", partition)
}

/// A batch at `base_offset` with one record per value, timestamps 1000, 1010, ...
fn batch(base_offset: i64, values: &[&str]) -> Bytes {
    let mut builder = BatchBuilder::new();
    builder.set_base_offset(base_offset);
    for (i, value) in values.iter().enumerate() {
        builder.append(1000 + 10 * i as i64, None, Some(value.as_bytes())).unwrap();
    }
    builder.finish()
}

fn list_offsets_response(request: &Request, offset: i64) -> Response {
    let RequestBody::ListOffsets(list) = &request.body else { panic!("{request:?}") };
    let topics = list
        .topics
        .iter()
        .map(|t| ListOffsetsTopicResult {
            name: t.name.clone(),
            partitions: t
                .partitions
                .iter()
                .map(|p| ListOffsetsPartitionResult {
                    partition: p.partition,
                    error_code: ErrorCode::None,
                    timestamp: -1,
                    offset,
                })
                .collect(),
        })
        .collect();
    respond(request, ListOffsetsResponse { error_code: ErrorCode::None, topics })
}

fn fetch_response(
    request: &Request,
    code: ErrorCode,
    records: Bytes,
    high_watermark: i64,
) -> Response {
    let RequestBody::Fetch(fetch) = &request.body else { panic!("{request:?}") };
    let topics = fetch
        .topics
        .iter()
        .map(|t| FetchTopicResult {
            name: t.name.clone(),
            partitions: t
                .partitions
                .iter()
                .map(|p| FetchPartitionResult {
                    partition: p.partition,
                    error_code: code,
                    high_watermark,
                    log_start_offset: 0,
                    last_stable_offset: high_watermark,
                    records: records.clone().into(),
                })
                .collect(),
        })
        .collect();
    respond(request, FetchResponse { error_code: ErrorCode::None, topics })
}

/// Assigns partition 0 of "t" and answers metadata and the start-offset look-up with `start`.
fn assigned_at(start: i64, now: Instant) -> ConsumerCore {
    let mut core = ConsumerCore::new(ConsumerConfig::default(), bootstrap(), now);
    core.assign([tp(0)], now);
    let transmit = core.poll_transmit(now).expect("metadata");
    let request = decode(&transmit.frame);
    core.handle_response(&transmit.endpoint, respond(&request, metadata("t", 1)), now).unwrap();
    let transmit = core.poll_transmit(now).expect("offset look-up");
    assert_eq!(transmit.endpoint, Endpoint::new("127.0.0.1", 9300), "straight to the owning shard");
    let request = decode(&transmit.frame);
    core.handle_response(&transmit.endpoint, list_offsets_response(&request, start), now).unwrap();
    core
}

#[test]
fn given_an_assignment_when_polling_should_resolve_the_start_then_long_poll_the_owner() {
    let t0 = Instant::now();
    let mut core = assigned_at(5, t0);
    assert_eq!(core.position(&tp(0)).unwrap(), Some(5));
    let transmit = core.poll_transmit(t0).expect("fetch");
    let request = decode(&transmit.frame);
    let RequestBody::Fetch(fetch) = &request.body else { panic!() };
    assert_eq!(fetch.max_wait_ms, 500, "a long poll");
    assert_eq!(fetch.topics[0].partitions[0].fetch_offset, 5);
    assert!(core.poll_transmit(t0).is_none(), "one fetch in flight per endpoint");
    let hang_guard = t0 + Duration::from_millis(500) + REQUEST_TIMEOUT;
    assert_eq!(
        core.next_timeout(),
        Some(hang_guard),
        "an idle consumer only guards against a hung broker"
    );
    // The broker returns the whole batch holding offset 5; records before it are skipped.
    let response = fetch_response(&request, ErrorCode::None, batch(3, &["a", "b", "c", "d"]), 7);
    core.handle_response(&transmit.endpoint, response, t0).unwrap();
    let records = core.take_records(100);
    let got: Vec<(i64, &[u8])> =
        records.iter().map(|r| (r.offset, r.value.as_deref().unwrap())).collect();
    assert_eq!(got, vec![(5, &b"c"[..]), (6, &b"d"[..])]);
    assert_eq!(core.position(&tp(0)).unwrap(), Some(7));
    assert_eq!(core.lag(&tp(0)).unwrap(), Some(0));
    let next = decode(&core.poll_transmit(t0).expect("next fetch").frame);
    let RequestBody::Fetch(fetch) = &next.body else { panic!() };
    assert_eq!(fetch.topics[0].partitions[0].fetch_offset, 7);
}

#[test]
fn given_offset_out_of_range_when_fetching_should_reset_by_looking_up_the_offset_again() {
    let t0 = Instant::now();
    let mut core = assigned_at(50, t0);
    let transmit = core.poll_transmit(t0).unwrap();
    let request = decode(&transmit.frame);
    core.handle_response(
        &transmit.endpoint,
        fetch_response(&request, ErrorCode::OffsetOutOfRange, Bytes::new(), 10),
        t0,
    )
    .unwrap();
    assert_eq!(core.position(&tp(0)).unwrap(), None);
    let lookup = decode(&core.poll_transmit(t0).expect("look-up").frame);
    assert!(matches!(lookup.body, RequestBody::ListOffsets(_)));
}

#[test]
fn given_a_seek_while_a_fetch_is_in_flight_when_the_old_response_arrives_should_ignore_it() {
    let t0 = Instant::now();
    let mut core = assigned_at(0, t0);
    let stale = core.poll_transmit(t0).unwrap();
    core.seek(&tp(0), SeekTarget::Offset(100)).unwrap();
    let request = decode(&stale.frame);
    core.handle_response(
        &stale.endpoint,
        fetch_response(&request, ErrorCode::None, batch(0, &["old"]), 1),
        t0,
    )
    .unwrap();
    assert!(!core.has_records(), "records fetched before the seek are dropped");
    assert_eq!(core.position(&tp(0)).unwrap(), Some(100));
}

#[test]
fn given_a_timestamp_seek_when_the_broker_answers_a_batch_start_should_skip_older_records() {
    let t0 = Instant::now();
    let mut core = assigned_at(0, t0);
    core.seek(&tp(0), SeekTarget::Timestamp(1015)).unwrap();
    let lookup = core.poll_transmit(t0).unwrap();
    let request = decode(&lookup.frame);
    core.handle_response(&lookup.endpoint, list_offsets_response(&request, 0), t0).unwrap();
    assert_eq!(core.position(&tp(0)).unwrap(), None, "not known until the batch is read");
    let fetch = core.poll_transmit(t0).unwrap();
    let request = decode(&fetch.frame);
    let response = fetch_response(
        &request,
        ErrorCode::None,
        batch(0, &["t1000", "t1010", "t1020", "t1030"]),
        4,
    );
    core.handle_response(&fetch.endpoint, response, t0).unwrap();
    assert_eq!(core.position(&tp(0)).unwrap(), Some(2));
    let offsets: Vec<i64> = core.take_records(10).iter().map(|r| r.offset).collect();
    assert_eq!(offsets, vec![2, 3]);
}

#[test]
fn given_not_shard_owner_when_fetching_should_refresh_metadata_and_back_off() {
    let t0 = Instant::now();
    let mut core = assigned_at(0, t0);
    let transmit = core.poll_transmit(t0).unwrap();
    let request = decode(&transmit.frame);
    core.handle_response(
        &transmit.endpoint,
        fetch_response(&request, ErrorCode::NotShardOwner, Bytes::new(), 0),
        t0,
    )
    .unwrap();
    let refresh = core.poll_transmit(t0).expect("metadata refresh");
    assert_eq!(refresh.endpoint, bootstrap());
    assert!(matches!(decode(&refresh.frame).body, RequestBody::Metadata(_)));
    assert!(core.poll_transmit(t0).is_none(), "the partition backs off");
    let backoff = core.next_timeout().expect("a back-off timer");
    assert_eq!(backoff, t0 + Duration::from_millis(50));
    let retry = core.poll_transmit(backoff).expect("fetch again after the back-off");
    assert_eq!(retry.endpoint, bootstrap(), "the shard's direct address was forgotten");
}

#[test]
fn given_an_unassigned_partition_when_asking_its_position_should_fail() {
    let core = ConsumerCore::new(ConsumerConfig::default(), bootstrap(), Instant::now());
    assert!(matches!(core.position(&tp(3)), Err(ClientError::NotAssigned { partition: 3, .. })));
}
