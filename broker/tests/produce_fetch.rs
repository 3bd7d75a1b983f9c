//! Produce and fetch against the real broker: round trips across shards, the forwarded and the
//! shard-direct paths, pipelining, concurrent clients, long polls.

mod support;

use std::time::{Duration, Instant};

use sluice_proto::message::ResponseBody;
use sluice_proto::ErrorCode;
use support::*;

fn round_trip_across_partitions(shards: usize) {
    let broker = TestBroker::start(shards);
    let mut client = broker.client();
    client.create_topic("orders", 6);
    for round in 0..3 {
        for partition in 0..6 {
            let (code, base) =
                client.produce("orders", partition, batch(&format!("p{partition}r{round}"), 10));
            assert_eq!(code, ErrorCode::None);
            assert_eq!(base, round * 10, "offsets are dense per partition");
        }
    }
    for partition in 0..6 {
        let result = client.fetch("orders", partition, 0, 0, 1);
        assert_eq!(result.error_code, ErrorCode::None);
        assert_eq!(result.high_watermark, 30);
        let got = values(&result.records);
        let expected: Vec<(i64, String)> = (0..3)
            .flat_map(|r| (0..10).map(move |i| (r * 10 + i, format!("p{partition}r{r}-{i}"))))
            .collect();
        assert_eq!(got, expected, "partition {partition}");
    }
}

#[test]
fn given_two_shards_when_producing_to_many_partitions_should_fetch_back_every_record_in_order() {
    round_trip_across_partitions(2);
}

#[test]
fn given_one_shard_when_producing_to_many_partitions_should_fetch_back_every_record_in_order() {
    round_trip_across_partitions(1);
}

#[test]
fn given_shard_direct_addresses_should_serve_owned_partitions_without_forwarding() {
    let broker = TestBroker::start(2);
    let mut admin = broker.client();
    admin.create_topic("direct", 4);
    let metadata = admin.metadata(&["direct"]);
    let partitions = &metadata.topics[0].partitions;
    let shards: std::collections::BTreeSet<u32> = partitions.iter().map(|p| p.shard_id).collect();
    assert_eq!(shards.len(), 2, "partitions spread over both shards");
    let forwarded_before = broker.metric_sum("sluice_forwarded_requests_total");
    for p in partitions {
        let addr = format!("{}:{}", p.shard_host, p.shard_port).parse().unwrap();
        assert_eq!(addr, broker.direct_addrs[p.shard_id as usize]);
        let mut direct = TestClient::connect(addr);
        let (code, base) = direct.produce("direct", p.partition, batch("d", 5));
        assert_eq!((code, base), (ErrorCode::None, 0));
        let fetched = direct.fetch("direct", p.partition, 0, 0, 1);
        assert_eq!(values(&fetched.records).len(), 5);
    }
    // Counters publish a few times a second; wait for the produce count to show, then check
    // that no operation was forwarded.
    eventually("produce counters to be published", || {
        broker.metric_sum("sluice_produce_requests_total") >= partitions.len() as f64
    });
    assert_eq!(broker.metric_sum("sluice_forwarded_requests_total"), forwarded_before);
}

#[test]
fn given_partition_owned_by_other_shard_when_sent_to_wrong_direct_port_should_forward_and_answer() {
    let broker = TestBroker::start(2);
    let mut admin = broker.client();
    admin.create_topic("fwd", 2);
    let metadata = admin.metadata(&["fwd"]);
    let p = &metadata.topics[0].partitions[0];
    let wrong = broker.direct_addrs[1 - p.shard_id as usize];
    let mut client = TestClient::connect(wrong);
    assert_eq!(client.produce("fwd", p.partition, batch("x", 3)), (ErrorCode::None, 0));
    assert_eq!(values(&client.fetch("fwd", p.partition, 0, 0, 1).records).len(), 3);
    eventually("the forwarded counter to move", || {
        broker.metric_sum("sluice_forwarded_requests_total") >= 2.0
    });
}

#[test]
fn given_many_pipelined_produces_to_one_partition_should_append_them_in_send_order() {
    let broker = TestBroker::start(2);
    let mut client = broker.client();
    client.create_topic("pipe", 2);
    // Partition 1 lives on shard 1; the client port may land on either, so both paths are
    // exercised across runs. 200 requests are in flight before the first response is read.
    let ids: Vec<u32> = (0..200)
        .map(|i| client.send(produce_request("pipe", 1, batch(&format!("m{i}"), 1))))
        .collect();
    let mut base_by_id = std::collections::HashMap::new();
    for _ in &ids {
        let response = client.recv();
        let ResponseBody::Produce(r) = response.body else { panic!("not a produce response") };
        let p = &r.topics[0].partitions[0];
        assert_eq!(p.error_code, ErrorCode::None);
        base_by_id.insert(response.correlation_id, p.base_offset);
    }
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(base_by_id[id], i as i64, "request {i} got offset in send order");
    }
    let fetched = client.fetch("pipe", 1, 0, 0, 1);
    let got: Vec<String> = values(&fetched.records).into_iter().map(|(_, v)| v).collect();
    let expected: Vec<String> = (0..200).map(|i| format!("m{i}-0")).collect();
    assert_eq!(got, expected);
}

#[test]
fn given_several_concurrent_clients_should_keep_every_record() {
    let broker = TestBroker::start(2);
    broker.client().create_topic("many", 4);
    let addr = broker.client_addr;
    let writers: Vec<_> = (0..4)
        .map(|w| {
            std::thread::spawn(move || {
                let mut client = TestClient::connect(addr);
                for i in 0..50 {
                    let (code, _) =
                        client.produce("many", (w + i) % 4, batch(&format!("w{w}i{i}"), 2));
                    assert_eq!(code, ErrorCode::None);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    let mut client = broker.client();
    let total: usize =
        (0..4).map(|p| values(&client.fetch("many", p, 0, 0, 1).records).len()).sum();
    assert_eq!(total, 4 * 50 * 2);
}

#[test]
fn given_long_poll_when_data_arrives_should_return_before_max_wait() {
    let broker = TestBroker::start(2);
    let mut client = broker.client();
    client.create_topic("poll", 2);
    let mut consumer = broker.client();
    let started = Instant::now();
    let id = consumer.send(fetch_request("poll", 1, 0, 20_000, 1));
    client.produce("poll", 1, batch("late", 1));
    let response = consumer.recv();
    assert_eq!(response.correlation_id, id);
    let ResponseBody::Fetch(r) = response.body else { panic!("not a fetch response") };
    assert_eq!(values(&r.topics[0].partitions[0].records), vec![(0, "late-0".to_string())]);
    assert!(started.elapsed() < Duration::from_secs(15), "returned on data, not at max wait");
}

#[test]
fn given_long_poll_with_no_data_should_return_empty_after_max_wait() {
    let broker = TestBroker::start(1);
    let mut client = broker.client();
    client.create_topic("idle", 1);
    let started = Instant::now();
    let result = client.fetch("idle", 0, 0, 300, 1);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(result.error_code, ErrorCode::None);
    assert!(result.records.is_empty());
    assert_eq!(result.high_watermark, 0);
}
