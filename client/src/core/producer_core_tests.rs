//! Deterministic producer-core tests: made-up instants, scripted responses, no sockets.

use std::time::Duration;

use sluice_proto::message::RequestBody;
use sluice_proto::record_batch::Batch;

use super::*;
use crate::core::test_broker::{decode, metadata, produce_response, respond};

fn bootstrap() -> Endpoint {
    Endpoint::new("127.0.0.1", 9292)
}

fn config() -> ProducerConfig {
    ProducerConfig {
        linger: Duration::from_millis(5),
        retry_backoff_initial: Duration::from_millis(10),
        retry_backoff_max: Duration::from_millis(100),
        ..ProducerConfig::default()
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Sends the metadata round trip for `topic` so the core knows its partitions.
fn with_metadata(core: &mut ProducerCore<u32>, topic: &str, partitions: u32, now: Instant) {
    let transmit = core.poll_transmit(now).expect("metadata request");
    assert_eq!(transmit.endpoint, bootstrap());
    let request = decode(&transmit.frame);
    assert!(matches!(request.body, RequestBody::Metadata(_)));
    core.handle_response(&transmit.endpoint, respond(&request, metadata(topic, partitions)), now)
        .unwrap();
}

fn completions(core: &mut ProducerCore<u32>) -> Vec<(u32, Result<RecordMetadata>)> {
    std::iter::from_fn(|| core.poll_completion()).map(|c| (c.token, c.result)).collect()
}

#[test]
fn given_an_unknown_topic_when_sending_should_fetch_metadata_then_produce_after_linger() {
    let t0 = Instant::now();
    let mut core = ProducerCore::new(config(), bootstrap(), t0).unwrap();
    core.send(ProducerRecord::new("t", "a").with_partition(1), 1, t0, 1000);
    with_metadata(&mut core, "t", 2, t0);
    assert!(core.poll_transmit(t0 + ms(4)).is_none(), "lingering");
    assert_eq!(core.next_timeout(), Some(t0 + ms(5)));
    let transmit = core.poll_transmit(t0 + ms(5)).expect("produce after linger");
    assert_eq!(transmit.endpoint, Endpoint::new("127.0.0.1", 9301), "partition 1's shard");
    let request = decode(&transmit.frame);
    let RequestBody::Produce(produce) = &request.body else { panic!() };
    let batch = Batch::new(produce.topics[0].partitions[0].records.to_bytes()).unwrap();
    assert_eq!(batch.header().base_timestamp, 1000);
    core.handle_response(
        &transmit.endpoint,
        produce_response(&request, |_| (ErrorCode::None, 7)),
        t0 + ms(6),
    )
    .unwrap();
    let done = completions(&mut core);
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].1, Ok(RecordMetadata { partition: 1, offset: 7, timestamp_ms: 1000 }));
    assert!(core.is_idle());
}

#[test]
fn given_one_batch_in_flight_when_more_records_arrive_should_hold_them_until_the_response() {
    let t0 = Instant::now();
    let mut core = ProducerCore::new(config(), bootstrap(), t0).unwrap();
    core.send(ProducerRecord::new("t", "a").with_partition(0), 1, t0, 0);
    with_metadata(&mut core, "t", 1, t0);
    core.flush();
    let first = core.poll_transmit(t0).unwrap();
    core.send(ProducerRecord::new("t", "b").with_partition(0), 2, t0, 0);
    core.flush();
    assert!(core.poll_transmit(t0 + ms(50)).is_none(), "partition 0 already has a batch in flight");
    let request = decode(&first.frame);
    core.handle_response(&first.endpoint, produce_response(&request, |_| (ErrorCode::None, 0)), t0)
        .unwrap();
    let second =
        core.poll_transmit(t0 + ms(50)).expect("next batch once the first is acknowledged");
    let request = decode(&second.frame);
    core.handle_response(
        &second.endpoint,
        produce_response(&request, |_| (ErrorCode::None, 1)),
        t0,
    )
    .unwrap();
    let offsets: Vec<(u32, i64)> =
        completions(&mut core).into_iter().map(|(t, r)| (t, r.unwrap().offset)).collect();
    assert_eq!(offsets, vec![(1, 0), (2, 1)]);
}

#[test]
fn given_not_shard_owner_when_producing_should_refresh_metadata_and_retry_after_backoff() {
    let t0 = Instant::now();
    let mut core = ProducerCore::new(config(), bootstrap(), t0).unwrap();
    core.send(ProducerRecord::new("t", "a").with_partition(0), 1, t0, 0);
    with_metadata(&mut core, "t", 2, t0);
    core.flush();
    let first = core.poll_transmit(t0).unwrap();
    assert_eq!(first.endpoint, Endpoint::new("127.0.0.1", 9300));
    let request = decode(&first.frame);
    core.handle_response(
        &first.endpoint,
        produce_response(&request, |_| (ErrorCode::NotShardOwner, -1)),
        t0,
    )
    .unwrap();
    assert!(completions(&mut core).is_empty(), "retriable: not failed");
    // Metadata is refreshed first; the batch waits out its back-off.
    let refresh = core.poll_transmit(t0).expect("metadata refresh");
    let refresh_request = decode(&refresh.frame);
    assert!(matches!(refresh_request.body, RequestBody::Metadata(_)));
    let mut moved = metadata("t", 2);
    moved.topics[0].partitions[0].shard_port = 9400;
    core.handle_response(&refresh.endpoint, respond(&refresh_request, moved), t0).unwrap();
    assert!(core.poll_transmit(t0 + ms(9)).is_none(), "backing off");
    let retry = core.poll_transmit(t0 + ms(10)).expect("retry after 10 ms");
    assert_eq!(retry.endpoint, Endpoint::new("127.0.0.1", 9400), "to the new owner");
    assert_eq!(decode(&retry.frame).body, request.body, "the same batch bytes");
}

#[test]
fn given_a_lost_connection_when_batches_were_in_flight_should_retry_through_the_shared_port() {
    let t0 = Instant::now();
    let mut core = ProducerCore::new(config(), bootstrap(), t0).unwrap();
    core.send(ProducerRecord::new("t", "a").with_partition(1), 1, t0, 0);
    with_metadata(&mut core, "t", 2, t0);
    core.flush();
    let first = core.poll_transmit(t0).unwrap();
    core.handle_connection_lost(&first.endpoint, "reset", t0);
    let next = core.poll_transmit(t0).expect("metadata refresh");
    assert_eq!(next.endpoint, bootstrap());
    assert!(matches!(decode(&next.frame).body, RequestBody::Metadata(_)));
    // The refresh is still unanswered when the batch's back-off ends.
    let retry = core.poll_transmit(t0 + ms(10)).expect("retry after back-off");
    assert_eq!(retry.endpoint, bootstrap(), "the shard's direct address is forgotten");
    assert!(matches!(decode(&retry.frame).body, RequestBody::Produce(_)));
}

/// The value of the single record in each partition batch of a produce frame.
fn produced_values(transmit: &Transmit) -> Vec<String> {
    let request = decode(&transmit.frame);
    let RequestBody::Produce(produce) = &request.body else { panic!("not a produce") };
    produce.topics[0]
        .partitions
        .iter()
        .flat_map(|p| {
            let batch = Batch::new(p.records.to_bytes()).unwrap();
            batch
                .records()
                .map(|r| String::from_utf8(r.unwrap().value.unwrap().to_vec()).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn given_several_in_flight_per_partition_when_producing_should_pipeline_and_complete_in_order() {
    let t0 = Instant::now();
    let config = ProducerConfig { in_flight_per_partition_max: 3, linger: ms(0), ..config() };
    let mut core = ProducerCore::new(config, bootstrap(), t0).unwrap();
    core.send(ProducerRecord::new("t", "r0").with_partition(0), 0, t0, 0);
    with_metadata(&mut core, "t", 1, t0);
    let mut transmits = vec![core.poll_transmit(t0).expect("first batch")];
    for i in 1..4u32 {
        core.send(ProducerRecord::new("t", format!("r{i}")).with_partition(0), i, t0, 0);
        if let Some(transmit) = core.poll_transmit(t0) {
            transmits.push(transmit);
        }
    }
    assert_eq!(transmits.len(), 3, "three batches of one partition in flight, the fourth waits");
    for (i, transmit) in transmits.iter().enumerate() {
        assert_eq!(produced_values(transmit), vec![format!("r{i}")]);
        let request = decode(&transmit.frame);
        let response = produce_response(&request, |_| (ErrorCode::None, i as i64));
        core.handle_response(&transmit.endpoint, response, t0).unwrap();
    }
    let last = core.poll_transmit(t0).expect("the fourth batch once a slot is free");
    assert_eq!(produced_values(&last), vec!["r3".to_owned()]);
    let offsets: Vec<(u32, i64)> =
        completions(&mut core).into_iter().map(|(t, r)| (t, r.unwrap().offset)).collect();
    assert_eq!(offsets, vec![(0, 0), (1, 1), (2, 2)]);
}

#[test]
fn given_several_batches_of_a_partition_lost_with_a_connection_should_resend_them_in_order() {
    let t0 = Instant::now();
    let config = ProducerConfig { in_flight_per_partition_max: 3, linger: ms(0), ..config() };
    let mut core = ProducerCore::new(config, bootstrap(), t0).unwrap();
    core.send(ProducerRecord::new("t", "r0").with_partition(0), 0, t0, 0);
    with_metadata(&mut core, "t", 1, t0);
    let first = core.poll_transmit(t0).expect("first batch");
    for i in 1..3u32 {
        core.send(ProducerRecord::new("t", format!("r{i}")).with_partition(0), i, t0, 0);
        core.poll_transmit(t0).expect("pipelined batch");
    }
    core.handle_connection_lost(&first.endpoint, "reset", t0);
    let mut resent = Vec::new();
    let mut now = t0;
    // Bounded: three batches and one metadata refresh, each at most one back-off away.
    for _ in 0..100 {
        match core.poll_transmit(now) {
            Some(transmit) => {
                let request = decode(&transmit.frame);
                if matches!(request.body, RequestBody::Produce(_)) {
                    resent.extend(produced_values(&transmit));
                }
            }
            None => now += ms(10),
        }
        if resent.len() == 3 {
            break;
        }
    }
    assert_eq!(resent, vec!["r0", "r1", "r2"], "lost batches go back in seal order");
}

#[test]
fn given_retriable_errors_when_attempts_run_out_should_fail_with_delivery_failed() {
    let t0 = Instant::now();
    let config = ProducerConfig { attempts_max: 2, ..config() };
    let mut core = ProducerCore::new(config, bootstrap(), t0).unwrap();
    core.send(ProducerRecord::new("t", "a").with_partition(0), 1, t0, 0);
    with_metadata(&mut core, "t", 1, t0);
    core.flush();
    let mut now = t0;
    for _ in 0..2 {
        let transmit = loop {
            let transmit = core.poll_transmit(now).expect("work is due");
            let request = decode(&transmit.frame);
            if let RequestBody::Metadata(_) = request.body {
                core.handle_response(&transmit.endpoint, respond(&request, metadata("t", 1)), now)
                    .unwrap();
                continue;
            }
            break (transmit, request);
        };
        let (transmit, request) = transmit;
        core.handle_response(
            &transmit.endpoint,
            produce_response(&request, |_| (ErrorCode::BrokerBusy, -1)),
            now,
        )
        .unwrap();
        now += ms(100);
    }
    let done = completions(&mut core);
    assert_eq!(done.len(), 1);
    let Err(ClientError::DeliveryFailed { attempts: 2, last_error }) = &done[0].1 else {
        panic!("{done:?}")
    };
    assert_eq!(**last_error, ClientError::Broker { code: ErrorCode::BrokerBusy, message: None });
}

#[test]
fn given_a_non_retriable_error_when_producing_should_fail_at_once() {
    let t0 = Instant::now();
    let mut core = ProducerCore::new(config(), bootstrap(), t0).unwrap();
    core.send(ProducerRecord::new("t", "a").with_partition(0), 1, t0, 0);
    with_metadata(&mut core, "t", 1, t0);
    core.flush();
    let transmit = core.poll_transmit(t0).unwrap();
    let request = decode(&transmit.frame);
    core.handle_response(
        &transmit.endpoint,
        produce_response(&request, |_| (ErrorCode::CorruptMessage, -1)),
        t0,
    )
    .unwrap();
    let done = completions(&mut core);
    assert_eq!(
        done[0].1,
        Err(ClientError::Broker { code: ErrorCode::CorruptMessage, message: None })
    );
}

#[test]
fn given_acks_none_when_transmitting_should_complete_without_a_response() {
    let t0 = Instant::now();
    let config = ProducerConfig { acks: Acks::None, ..config() };
    let mut core = ProducerCore::new(config, bootstrap(), t0).unwrap();
    core.send(ProducerRecord::new("t", "a").with_partition(0), 1, t0, 5);
    with_metadata(&mut core, "t", 1, t0);
    core.flush();
    core.poll_transmit(t0).expect("produce");
    assert_eq!(
        completions(&mut core),
        vec![(1, Ok(RecordMetadata { partition: 0, offset: -1, timestamp_ms: 5 }))]
    );
    assert!(core.is_idle());
}

#[test]
fn given_a_missing_topic_when_metadata_says_so_should_fail_waiting_records() {
    let t0 = Instant::now();
    let mut core = ProducerCore::new(config(), bootstrap(), t0).unwrap();
    core.send(ProducerRecord::new("gone", "a"), 1, t0, 0);
    let transmit = core.poll_transmit(t0).unwrap();
    let request = decode(&transmit.frame);
    let mut response = metadata("gone", 0);
    response.topics[0].error_code = ErrorCode::UnknownTopic;
    core.handle_response(&transmit.endpoint, respond(&request, response), t0).unwrap();
    assert_eq!(completions(&mut core), vec![(1, Err(ClientError::UnknownTopic("gone".into())))]);
    assert!(core.is_idle());
}

#[test]
fn given_an_unreachable_broker_when_the_delivery_timeout_passes_should_fail_waiting_records() {
    let t0 = Instant::now();
    let config = ProducerConfig { delivery_timeout: ms(500), ..config() };
    let mut core = ProducerCore::new(config, bootstrap(), t0).unwrap();
    core.send(ProducerRecord::new("t", "a"), 1, t0, 0);
    let mut now = t0;
    // Bounded: the back-off caps at 100 ms, so 500 ms pass within a few dozen steps.
    for _ in 0..100 {
        if let Some(transmit) = core.poll_transmit(now) {
            core.handle_connection_lost(&transmit.endpoint, "refused", now);
        }
        if !core.is_idle() {
            now = core.next_timeout().expect("something is pending").max(now + ms(1));
        }
    }
    let done = completions(&mut core);
    assert_eq!(done.len(), 1);
    assert!(matches!(done[0].1, Err(ClientError::DeliveryFailed { .. })), "{done:?}");
    assert!(now >= t0 + ms(500));
}

#[test]
fn given_keyed_records_when_partitioning_should_follow_kafka_murmur2() {
    let t0 = Instant::now();
    let mut core = ProducerCore::new(config(), bootstrap(), t0).unwrap();
    with_metadata_first(&mut core, t0);
    for (token, key) in ["a", "b", "c", "customer-42"].iter().enumerate() {
        core.send(ProducerRecord::new("t", "v").with_key(*key), token as u32, t0, 0);
    }
    core.flush();
    let mut seen = Vec::new();
    while let Some(transmit) = core.poll_transmit(t0) {
        let request = decode(&transmit.frame);
        core.handle_response(
            &transmit.endpoint,
            produce_response(&request, |p| (ErrorCode::None, i64::from(p) * 100)),
            t0,
        )
        .unwrap();
        seen.extend(completions(&mut core).into_iter().map(|(t, r)| (t, r.unwrap().partition)));
    }
    seen.sort();
    let expected: Vec<(u32, u32)> = ["a", "b", "c", "customer-42"]
        .iter()
        .enumerate()
        .map(|(t, k)| (t as u32, partition_for_key(k.as_bytes(), 5)))
        .collect();
    assert_eq!(seen, expected);
}

fn with_metadata_first(core: &mut ProducerCore<u32>, now: Instant) {
    core.send(ProducerRecord::new("t", "warm").with_partition(0), 99, now, 0);
    with_metadata(core, "t", 5, now);
    core.flush();
    let transmit = core.poll_transmit(now).unwrap();
    let request = decode(&transmit.frame);
    core.handle_response(
        &transmit.endpoint,
        produce_response(&request, |_| (ErrorCode::None, 0)),
        now,
    )
    .unwrap();
    assert_eq!(completions(core).len(), 1);
}

#[test]
fn given_a_hung_broker_when_the_request_timeout_passes_should_give_the_connection_up() {
    let t0 = Instant::now();
    let config = ProducerConfig { request_timeout: ms(1000), ..config() };
    let mut core = ProducerCore::new(config, bootstrap(), t0).unwrap();
    core.send(ProducerRecord::new("t", "a").with_partition(0), 1, t0, 0);
    with_metadata(&mut core, "t", 1, t0);
    core.flush();
    let sent = core.poll_transmit(t0).unwrap();
    let hung_at = t0 + ms(1000) + REQUEST_TIMEOUT_GRACE;
    assert_eq!(core.next_timeout(), Some(hung_at));
    assert!(core.timed_out_connections(hung_at - ms(1)).is_empty());
    assert_eq!(core.timed_out_connections(hung_at), vec![sent.endpoint.clone()]);
    core.handle_connection_lost(&sent.endpoint, "no response", hung_at);
    let mut now = hung_at;
    let retry = loop {
        let transmit = core.poll_transmit(now).expect("work after the back-off");
        let request = decode(&transmit.frame);
        if let RequestBody::Metadata(_) = request.body {
            core.handle_response(&transmit.endpoint, respond(&request, metadata("t", 1)), now)
                .unwrap();
            now += ms(10);
            continue;
        }
        break request;
    };
    assert_eq!(retry.body, decode(&sent.frame).body, "the same batch, retried");
}

mod model {
    //! Random interleavings of sends, time, responses, broker errors and lost connections,
    //! checked against what must always hold: every record completes exactly once, acknowledged
    //! records of a partition get rising offsets in send order, and a broker that keeps
    //! answering eventually acknowledges everything.

    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;
    use crate::core::test_broker::produce_response;

    #[derive(Debug, Clone)]
    enum Op {
        Send { partition: Option<u32>, key: Option<u8> },
        Advance { ms: u64 },
        Answer { pick: usize, outcome: Outcome },
        Flush,
    }

    #[derive(Debug, Clone, Copy)]
    enum Outcome {
        Ok,
        Retriable,
        NotOwner,
        ConnectionLost,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (proptest::option::of(0u32..3), proptest::option::of(0u8..5))
                .prop_map(|(partition, key)| Op::Send { partition, key }),
            2 => (0u64..30).prop_map(|ms| Op::Advance { ms }),
            3 => (0usize..8, prop_oneof![
                6 => Just(Outcome::Ok),
                1 => Just(Outcome::Retriable),
                1 => Just(Outcome::NotOwner),
                1 => Just(Outcome::ConnectionLost),
            ]).prop_map(|(pick, outcome)| Op::Answer { pick, outcome }),
            1 => Just(Op::Flush),
        ]
    }

    struct Harness {
        core: ProducerCore<u32>,
        now: Instant,
        pending: Vec<(Endpoint, Request)>,
        log_end: HashMap<u32, i64>,
        sent: u32,
        done: HashMap<u32, Result<RecordMetadata>>,
        partition_of: HashMap<u32, Option<u32>>,
    }

    use sluice_proto::message::Request;

    impl Harness {
        fn pump(&mut self) {
            // Bounded: each transmit moves a batch or metadata request into `pending`.
            for _ in 0..1000 {
                let Some(transmit) = self.core.poll_transmit(self.now) else { break };
                let request = decode(&transmit.frame);
                if let RequestBody::Metadata(_) = request.body {
                    let response = respond(&request, metadata("t", 3));
                    self.core.handle_response(&transmit.endpoint, response, self.now).unwrap();
                } else {
                    self.pending.push((transmit.endpoint, request));
                }
            }
            while let Some(completion) = self.core.poll_completion() {
                let previous = self.done.insert(completion.token, completion.result);
                assert!(previous.is_none(), "record {} completed twice", completion.token);
            }
        }

        fn answer(&mut self, index: usize, outcome: Outcome) {
            let (endpoint, request) = self.pending.remove(index);
            match outcome {
                Outcome::ConnectionLost => {
                    // Every request in flight on that connection is lost with it.
                    let (lost, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
                        .into_iter()
                        .partition(|(e, _)| *e == endpoint);
                    self.pending = kept;
                    drop(lost);
                    self.core.handle_connection_lost(&endpoint, "reset", self.now);
                }
                Outcome::Ok => {
                    let RequestBody::Produce(produce) = &request.body else { unreachable!() };
                    let mut bases = HashMap::new();
                    for partition in &produce.topics[0].partitions {
                        let count = Batch::new(partition.records.to_bytes())
                            .unwrap()
                            .header()
                            .records_count;
                        let end = self.log_end.entry(partition.partition).or_insert(0);
                        bases.insert(partition.partition, *end);
                        *end += i64::from(count);
                    }
                    let response = produce_response(&request, |p| (ErrorCode::None, bases[&p]));
                    self.core.handle_response(&endpoint, response, self.now).unwrap();
                }
                Outcome::Retriable => {
                    let response = produce_response(&request, |_| (ErrorCode::BrokerBusy, -1));
                    self.core.handle_response(&endpoint, response, self.now).unwrap();
                }
                Outcome::NotOwner => {
                    let response = produce_response(&request, |_| (ErrorCode::NotShardOwner, -1));
                    self.core.handle_response(&endpoint, response, self.now).unwrap();
                }
            }
        }
    }

    /// Runs `ops` against a core with `config`, then lets the broker recover and answers
    /// everything, oldest first, until the producer is idle.
    fn run_ops(ops: Vec<Op>, config: ProducerConfig) -> Harness {
        let t0 = Instant::now();
        let mut h = Harness {
            core: ProducerCore::new(config, bootstrap(), t0).unwrap(),
            now: t0,
            pending: Vec::new(),
            log_end: HashMap::new(),
            sent: 0,
            done: HashMap::new(),
            partition_of: HashMap::new(),
        };
        for op in ops {
            match op {
                Op::Send { partition, key } => {
                    let mut record = ProducerRecord::new("t", format!("r{}", h.sent));
                    record.partition = partition;
                    record.key = key.map(|k| bytes::Bytes::from(vec![k]));
                    h.partition_of.insert(h.sent, partition);
                    h.core.send(record, h.sent, h.now, 0);
                    h.sent += 1;
                }
                Op::Advance { ms } => h.now += Duration::from_millis(ms),
                Op::Answer { pick, outcome } => {
                    if !h.pending.is_empty() {
                        let index = pick % h.pending.len();
                        h.answer(index, outcome);
                    }
                }
                Op::Flush => h.core.flush(),
            }
            h.pump();
        }
        // The broker recovers: answer everything, oldest first, until the producer is idle.
        h.core.flush();
        for _ in 0..10_000 {
            h.pump();
            if h.pending.is_empty() {
                if h.core.is_idle() {
                    break;
                }
                h.now =
                    h.core.next_timeout().unwrap_or(h.now).max(h.now + Duration::from_millis(1));
                continue;
            }
            h.answer(0, Outcome::Ok);
        }
        h
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn given_random_faults_when_the_broker_recovers_should_complete_every_record_once_in_order(
            ops in proptest::collection::vec(op(), 1..120)
        ) {
            let config = ProducerConfig { attempts_max: 1_000, batch_bytes_max: 300, ..config() };
            let h = run_ops(ops, config);
            prop_assert!(h.core.is_idle());
            prop_assert_eq!(h.done.len() as u32, h.sent, "every record completes");
            let mut last: HashMap<u32, i64> = HashMap::new();
            for token in 0..h.sent {
                let written = h.done[&token].clone().expect("a recovering broker acknowledges all");
                if let Some(partition) = h.partition_of[&token] {
                    prop_assert_eq!(written.partition, partition);
                }
                let previous = last.insert(written.partition, written.offset).unwrap_or(-1);
                prop_assert!(written.offset > previous, "partition order follows send order");
            }
        }
        #[test]
        fn given_pipelined_partitions_and_random_faults_when_recovering_should_complete_every_record_once(
            ops in proptest::collection::vec(op(), 1..120)
        ) {
            let config = ProducerConfig {
                attempts_max: 1_000,
                batch_bytes_max: 300,
                in_flight_per_partition_max: 3,
                ..config()
            };
            let h = run_ops(ops, config);
            prop_assert!(h.core.is_idle());
            prop_assert_eq!(h.done.len() as u32, h.sent, "every record completes");
            for token in 0..h.sent {
                prop_assert!(h.done[&token].is_ok(), "a recovering broker acknowledges all");
            }
        }
    }
}
