//! Persistence across restarts and SIGKILL, and clean shutdown.

mod support;

use sluice_proto::message::{DeleteTopicsRequest, ResponseBody};
use sluice_proto::ErrorCode;
use support::*;

#[test]
fn given_topics_and_records_when_restarted_should_keep_both() {
    let mut broker = TestBroker::start(2);
    let mut client = broker.client();
    client.create_topic("keep", 3);
    for p in 0..3 {
        client.produce("keep", p, batch(&format!("k{p}"), 4));
    }
    drop(client);
    assert_eq!(broker.stop(), Some(0), "SIGTERM exits 0");
    broker.restart();
    let mut client = broker.client();
    let metadata = client.metadata(&["keep"]);
    assert_eq!(metadata.topics[0].partitions.len(), 3);
    for p in 0..3 {
        let result = client.fetch("keep", p, 0, 0, 1);
        assert_eq!(values(&result.records).len(), 4, "partition {p}");
        assert_eq!(client.produce("keep", p, batch("after", 1)), (ErrorCode::None, 4));
    }
}

#[test]
fn given_acknowledged_records_under_flush_always_when_killed_should_lose_none() {
    let mut broker = TestBroker::start(2);
    let mut client = broker.client();
    client.create_topic("durable", 2);
    let mut acked = [0i64; 2];
    for i in 0..100u32 {
        let p = i % 2;
        let (code, base) = client.produce("durable", p, batch(&format!("r{i}"), 3));
        assert_eq!(code, ErrorCode::None);
        acked[p as usize] = base + 3;
    }
    drop(client);
    broker.kill();
    broker.restart();
    let mut client = broker.client();
    for p in 0..2u32 {
        let mut offset = 0;
        let mut count = 0;
        while offset < acked[p as usize] {
            let result = client.fetch("durable", p, offset, 0, 1);
            assert_eq!(result.error_code, ErrorCode::None);
            let got = values(&result.records);
            assert!(!got.is_empty(), "acknowledged offset {offset} of partition {p} is missing");
            count += got.len();
            offset = got.last().unwrap().0 + 1;
        }
        assert_eq!(count as i64, acked[p as usize]);
    }
}

#[test]
fn given_deleted_topic_should_remove_its_data_and_allow_recreating_it_empty() {
    let mut broker = TestBroker::start(2);
    let mut client = broker.client();
    client.create_topic("gone", 2);
    client.produce("gone", 0, batch("old", 5));
    let deleted =
        client.call(DeleteTopicsRequest { names: vec!["gone".into()], timeout_ms: 10_000 });
    let ResponseBody::DeleteTopics(r) = deleted else { panic!("not a delete response") };
    assert_eq!(r.topics[0].error_code, ErrorCode::None);
    assert!(!broker.data_dir.join("gone").exists(), "topic files removed");
    assert_eq!(client.fetch("gone", 0, 0, 0, 1).error_code, ErrorCode::UnknownTopic);
    client.create_topic("gone", 1);
    assert!(client.fetch("gone", 0, 0, 0, 1).records.is_empty());
    drop(client);
    assert_eq!(broker.stop(), Some(0));
    broker.restart();
    assert!(broker.client().fetch("gone", 0, 0, 0, 1).records.is_empty());
}

#[test]
fn given_a_running_broker_when_a_second_uses_its_data_dir_should_refuse_to_start() {
    let broker = TestBroker::start(1);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sluice-broker"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--shard-port-base",
            "0",
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(&broker.data_dir)
        .output()
        .expect("run second broker");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("in use by another sluice-broker"), "{stderr}");
}
