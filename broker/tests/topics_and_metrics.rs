//! Topic listing and description, ListOffsets, and the metrics endpoint.

mod support;

use sluice_proto::message::*;
use sluice_proto::record_batch::BatchBuilder;
use sluice_proto::ErrorCode;
use support::*;

#[test]
fn given_topics_should_list_and_describe_them_with_effective_config_and_offsets() {
    let broker = TestBroker::start_with(2, &["--retention-bytes", "1048576000"]);
    let mut client = broker.client();
    client.create_topic("alpha", 2);
    let never = TopicConfig {
        partitions: Some(3),
        flush_policy: Some(FlushPolicy::Never),
        retention_ms: Some(-1),
        ..Default::default()
    };
    assert_eq!(client.try_create_topic("beta", never), ErrorCode::None);
    client.produce("alpha", 1, batch("a", 7));
    let ResponseBody::ListTopics(list) = client.call(ListTopicsRequest {}) else { panic!() };
    let names: Vec<_> = list.topics.iter().map(|t| (t.name.as_str(), t.partition_count)).collect();
    assert_eq!(names, vec![("alpha", 2), ("beta", 3)]);
    let ResponseBody::DescribeTopics(described) = client
        .call(DescribeTopicsRequest { names: vec!["alpha".into(), "beta".into(), "nope".into()] })
    else {
        panic!()
    };
    let alpha = &described.topics[0];
    assert_eq!(alpha.config.retention_bytes, Some(1_048_576_000), "broker default filled in");
    assert_eq!(alpha.config.flush_policy, Some(FlushPolicy::Always));
    assert_eq!(alpha.partitions[1].log_end_offset, 7);
    assert_eq!(alpha.partitions[0].log_end_offset, 0);
    let beta = &described.topics[1];
    assert_eq!(beta.config.flush_policy, Some(FlushPolicy::Never));
    assert_eq!(beta.config.retention_ms, Some(-1));
    let shards: std::collections::BTreeSet<_> =
        beta.partitions.iter().map(|p| p.shard_id).collect();
    assert_eq!(shards.len(), 2, "partitions spread over shards");
    assert_eq!(described.topics[2].error_code, ErrorCode::UnknownTopic);
}

#[test]
fn given_timestamps_should_list_earliest_latest_and_by_time_offsets() {
    let broker = TestBroker::start(2);
    let mut client = broker.client();
    client.create_topic("times", 1);
    for (i, ts) in [1_000i64, 2_000, 3_000].into_iter().enumerate() {
        let mut builder = BatchBuilder::new();
        builder.append(ts, None, Some(format!("v{i}").as_bytes())).unwrap();
        client.produce("times", 0, builder.finish());
    }
    let query = |client: &mut TestClient, query| {
        let request = ListOffsetsRequest {
            topics: vec![ListOffsetsTopic {
                name: "times".into(),
                partitions: vec![ListOffsetsPartition { partition: 0, query }],
            }],
        };
        let ResponseBody::ListOffsets(mut r) = client.call(request) else { panic!() };
        let p = r.topics.remove(0).partitions.remove(0);
        assert_eq!(p.error_code, ErrorCode::None);
        p.offset
    };
    assert_eq!(query(&mut client, OffsetQuery::Earliest), 0);
    assert_eq!(query(&mut client, OffsetQuery::Latest), 3);
    assert_eq!(query(&mut client, OffsetQuery::AtTimestamp(1_500)), 1);
    assert_eq!(query(&mut client, OffsetQuery::AtTimestamp(3_000)), 2);
    assert_eq!(query(&mut client, OffsetQuery::AtTimestamp(9_000)), -1);
}

#[test]
fn given_traffic_should_export_counters_latencies_and_offsets_in_prometheus_format() {
    let broker = TestBroker::start(2);
    let mut client = broker.client();
    client.create_topic("m", 2);
    for p in 0..2 {
        client.produce("m", p, batch("x", 5));
        client.fetch("m", p, 0, 0, 1);
    }
    // Each shard publishes its own snapshot a few times a second: wait until both show.
    eventually("both shards' snapshots", || {
        broker.metric_sum("sluice_fetch_requests_total") >= 2.0
            && broker.metric_sum("sluice_partitions") == 2.0
            && broker.metric_sum("sluice_log_end_offset") == 10.0
            && broker.metric_sum("sluice_log_fdatasync_latency_seconds_count") >= 2.0
            // Each shard's 10 ms timer-lag probe has fired at least once.
            && broker.metric_sum("sluice_shard_timer_lag_seconds_count") >= 2.0
    });
    let page = broker.scrape();
    let body = page.split("\r\n\r\n").nth(1).expect("a body");
    for line in body.lines() {
        if line.starts_with('#') {
            assert!(line.starts_with("# HELP ") || line.starts_with("# TYPE "), "{line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("series and value");
        value.parse::<f64>().unwrap_or_else(|_| panic!("numeric value in {line}"));
        assert!(series.starts_with("sluice_"), "{line}");
    }
    assert!(broker.metric_sum("sluice_bytes_in_total") > 0.0);
    assert!(broker.metric_sum("sluice_bytes_out_total") > 0.0);
    assert_eq!(broker.metric_sum("sluice_partitions"), 2.0);
    assert_eq!(broker.metric_sum("sluice_log_end_offset"), 10.0);
    assert!(body.contains("sluice_produce_latency_seconds{shard=\"0\",quantile=\"0.99\"}"));
    assert!(broker.metric_sum("sluice_produce_latency_seconds_count") >= 2.0);
    assert!(broker.metric_sum("sluice_connections_open") >= 1.0);
    // The default policy is `always`: every produce wrote and synced its partition's log.
    assert!(broker.metric_sum("sluice_log_write_latency_seconds_count") >= 2.0);
    assert!(body.contains("sluice_log_fdatasync_latency_seconds{shard=\"1\",quantile=\"0.99\"}"));
    assert!(broker.metric_sum("sluice_log_fdatasync_latency_seconds_sum") > 0.0);
    assert!(body.contains("sluice_shard_timer_lag_seconds{shard=\"0\",quantile=\"0.99\"}"));
}

#[test]
fn given_timestamps_inside_one_batch_should_list_the_exact_record_offset() {
    let broker = TestBroker::start(1);
    let mut client = broker.client();
    client.create_topic("inside", 1);
    let mut builder = BatchBuilder::new();
    for i in 0..100i64 {
        builder.append(10_000 + 10 * i, None, Some(b"v")).unwrap();
    }
    client.produce("inside", 0, builder.finish());
    let request = ListOffsetsRequest {
        topics: vec![ListOffsetsTopic {
            name: "inside".into(),
            partitions: vec![ListOffsetsPartition {
                partition: 0,
                query: OffsetQuery::AtTimestamp(10_495),
            }],
        }],
    };
    let ResponseBody::ListOffsets(mut r) = client.call(request) else { panic!() };
    let p = r.topics.remove(0).partitions.remove(0);
    assert_eq!((p.offset, p.timestamp), (50, 10_500), "the first record at or after the time");
}
