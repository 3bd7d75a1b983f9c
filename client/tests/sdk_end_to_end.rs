//! The SDK against a real broker: ordering, keyed routing, retries across a restart,
//! backpressure, timestamp seeks and shard-aware routing.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sluice_client::blocking::{Admin, Consumer, Producer};
use sluice_client::{
    BufferFullPolicy, ClientError, ConsumerConfig, ConsumerRecord, ProducerConfig, ProducerRecord,
    SeekTarget, TopicPartition,
};
use support::Broker;

/// Longest any test waits for records to arrive.
const CONSUME_TIMEOUT: Duration = Duration::from_secs(30);

fn consume_all(
    broker: &Broker,
    topic: &str,
    partitions: u32,
    expected: usize,
) -> Vec<ConsumerRecord> {
    let mut consumer = Consumer::connect(&broker.address, ConsumerConfig::default()).unwrap();
    let assignment: Vec<TopicPartition> =
        (0..partitions).map(|p| TopicPartition::new(topic, p)).collect();
    consumer.assign(assignment.clone());
    for partition in &assignment {
        consumer.seek(partition, SeekTarget::Earliest).unwrap();
    }
    let deadline = Instant::now() + CONSUME_TIMEOUT;
    let mut records = Vec::new();
    while records.len() < expected {
        assert!(Instant::now() < deadline, "only {} of {expected} records arrived", records.len());
        records.extend(consumer.poll(Duration::from_millis(200)).unwrap());
    }
    assert_eq!(records.len(), expected, "no more records than produced");
    records
}

#[test]
fn given_concurrent_producers_when_consuming_should_see_each_key_in_send_order() {
    let broker = Broker::start();
    Admin::connect(&broker.address).unwrap().create_topic("ordered", 4).unwrap();
    let producer = Arc::new(Producer::connect(&broker.address, ProducerConfig::default()).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|thread| {
            let producer = producer.clone();
            std::thread::spawn(move || {
                let handles: Vec<_> = (0..2_000)
                    .map(|seq| {
                        let record = ProducerRecord::new("ordered", format!("{thread}:{seq}"))
                            .with_key(format!("key-{thread}"));
                        producer.send(record).unwrap()
                    })
                    .collect();
                handles.into_iter().map(|h| h.wait().unwrap()).collect::<Vec<_>>()
            })
        })
        .collect();
    for thread in threads {
        let written = thread.join().unwrap();
        let offsets: Vec<i64> = written.iter().map(|w| w.offset).collect();
        assert!(offsets.windows(2).all(|w| w[0] < w[1]), "acknowledged offsets rise per key");
    }
    producer.close().unwrap();
    let records = consume_all(&broker, "ordered", 4, 8_000);
    let mut last_seq: HashMap<String, i64> = HashMap::new();
    for record in records {
        let value = String::from_utf8(record.value.unwrap().to_vec()).unwrap();
        let (thread, seq) = value.split_once(':').unwrap();
        let seq: i64 = seq.parse().unwrap();
        let previous = last_seq.insert(thread.to_owned(), seq).unwrap_or(-1);
        assert_eq!(seq, previous + 1, "records of key-{thread} arrive in send order, none lost");
    }
}

#[test]
fn given_keyed_records_when_a_new_client_sends_them_again_should_land_on_the_same_partitions() {
    let broker = Broker::start();
    Admin::connect(&broker.address).unwrap().create_topic("keyed", 6).unwrap();
    let route = |seed: u64| -> BTreeMap<String, u32> {
        let config = ProducerConfig { sticky_seed: seed, ..ProducerConfig::default() };
        let producer = Producer::connect(&broker.address, config).unwrap();
        let handles: Vec<_> = (0..60)
            .map(|k| {
                let key = format!("customer-{k}");
                (
                    key.clone(),
                    producer.send(ProducerRecord::new("keyed", "v").with_key(key)).unwrap(),
                )
            })
            .collect();
        let routes = handles.into_iter().map(|(k, h)| (k, h.wait().unwrap().partition)).collect();
        producer.close().unwrap();
        routes
    };
    let first = route(1);
    let second = route(2);
    assert_eq!(first, second);
    for (key, partition) in &first {
        assert_eq!(*partition, sluice_proto::partitioner::partition_for_key(key.as_bytes(), 6));
    }
}

#[test]
fn given_a_broker_restart_when_producing_should_retry_and_keep_every_acknowledged_record() {
    let broker = Broker::start();
    Admin::connect(&broker.address).unwrap().create_topic("durable", 2).unwrap();
    let config = ProducerConfig {
        retry_backoff_initial: Duration::from_millis(20),
        retry_backoff_max: Duration::from_millis(200),
        delivery_timeout: Duration::from_secs(60),
        attempts_max: 1_000,
        ..ProducerConfig::default()
    };
    let producer = Producer::connect(&broker.address, config).unwrap();
    let mut handles = Vec::new();
    for i in 0..500 {
        handles.push((
            i,
            producer.send(ProducerRecord::new("durable", format!("before-{i}"))).unwrap(),
        ));
    }
    producer.flush().unwrap();
    let broker = broker.restart();
    for i in 0..500 {
        handles.push((
            500 + i,
            producer.send(ProducerRecord::new("durable", format!("after-{i}"))).unwrap(),
        ));
    }
    producer.flush().unwrap();
    let mut acknowledged = Vec::new();
    for (i, handle) in handles {
        let written = handle.wait().unwrap_or_else(|e| panic!("record {i} failed: {e}"));
        acknowledged.push(((written.partition, written.offset), i));
    }
    producer.close().unwrap();
    let records = consume_all(&broker, "durable", 2, acknowledged.len());
    let stored: HashMap<(u32, i64), String> = records
        .into_iter()
        .map(|r| ((r.partition, r.offset), String::from_utf8(r.value.unwrap().to_vec()).unwrap()))
        .collect();
    for ((partition, offset), i) in acknowledged {
        let expected = if i < 500 { format!("before-{i}") } else { format!("after-{}", i - 500) };
        assert_eq!(
            stored.get(&(partition, offset)),
            Some(&expected),
            "acknowledged record {i} is stored"
        );
    }
}

#[test]
fn given_a_stopped_broker_when_the_buffer_fills_should_fail_sends_after_the_timeout() {
    let mut broker = Broker::start();
    Admin::connect(&broker.address).unwrap().create_topic("stalled", 1).unwrap();
    let config = ProducerConfig {
        batch_bytes_max: 16 * 1024,
        buffer_bytes_max: 64 * 1024,
        buffer_full: BufferFullPolicy::WaitUpTo(Duration::from_millis(300)),
        // Long enough to keep the buffer full for the test, short enough for close to finish.
        delivery_timeout: Duration::from_secs(3),
        attempts_max: 1_000,
        ..ProducerConfig::default()
    };
    let producer = Producer::connect(&broker.address, config).unwrap();
    producer.send(ProducerRecord::new("stalled", "warm-up")).unwrap().wait().unwrap();
    broker.kill();
    let value = vec![b'x'; 1024];
    let started = Instant::now();
    let mut accepted = 0;
    let error = loop {
        match producer.send(ProducerRecord::new("stalled", value.clone())) {
            Ok(_) => accepted += 1,
            Err(error) => break error,
        }
        assert!(accepted < 1_000, "the 64 KiB buffer must fill");
    };
    assert!(matches!(error, ClientError::BufferFull { .. }), "got {error}");
    assert!(started.elapsed() >= Duration::from_millis(300), "send waited for room first");
    assert!(accepted <= 64, "backpressure after about 64 KiB, accepted {accepted}");
}

#[test]
fn given_timestamped_records_when_seeking_to_a_timestamp_should_start_at_the_first_later_record() {
    let broker = Broker::start();
    Admin::connect(&broker.address).unwrap().create_topic("timed", 1).unwrap();
    let producer = Producer::connect(&broker.address, ProducerConfig::default()).unwrap();
    let base = 1_700_000_000_000i64;
    let handles: Vec<_> = (0..100)
        .map(|i| {
            let record =
                ProducerRecord::new("timed", format!("{i}")).with_timestamp_ms(base + i * 10);
            producer.send(record).unwrap()
        })
        .collect();
    for handle in handles {
        handle.wait().unwrap();
    }
    producer.close().unwrap();
    let mut consumer = Consumer::connect(&broker.address, ConsumerConfig::default()).unwrap();
    let partition = TopicPartition::new("timed", 0);
    consumer.assign([partition.clone()]);
    consumer.seek(&partition, SeekTarget::Timestamp((base + 495) as u64)).unwrap();
    assert_eq!(consumer.position(&partition).unwrap(), 50);
    let records = consumer.poll(CONSUME_TIMEOUT).unwrap();
    assert_eq!(records[0].offset, 50);
    assert_eq!(records[0].timestamp_ms, base + 500);
    assert_eq!(records[0].value.as_deref(), Some(&b"50"[..]));
    consumer.seek(&partition, SeekTarget::Timestamp((base + 10_000) as u64)).unwrap();
    assert_eq!(consumer.position(&partition).unwrap(), 100, "past every record: the log end");
}

#[test]
fn given_shard_aware_routing_when_producing_and_fetching_should_never_be_forwarded() {
    let broker = Broker::start();
    Admin::connect(&broker.address).unwrap().create_topic("sharded", 8).unwrap();
    let producer = Producer::connect(&broker.address, ProducerConfig::default()).unwrap();
    let handles: Vec<_> = (0..800)
        .map(|i| producer.send(ProducerRecord::new("sharded", "v").with_partition(i % 8)).unwrap())
        .collect();
    for handle in handles {
        handle.wait().unwrap();
    }
    producer.close().unwrap();
    consume_all(&broker, "sharded", 8, 800);
    // Metrics are published periodically: wait for a snapshot taken after every connection
    // closed, which therefore counts every request made above.
    let deadline = Instant::now() + CONSUME_TIMEOUT;
    while broker.metric_sum("sluice_connections_open") != 0.0
        || broker.metric_sum("sluice_log_end_offset") != 800.0
    {
        assert!(Instant::now() < deadline, "metrics never showed the finished work");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(broker.metric_sum("sluice_forwarded_requests_total"), 0.0);

    // The counter does count: the same work through the shared port gets forwarded.
    let config = ProducerConfig { shard_aware: false, ..ProducerConfig::default() };
    let producer = Producer::connect(&broker.address, config).unwrap();
    let handles: Vec<_> = (0..80)
        .map(|i| producer.send(ProducerRecord::new("sharded", "v").with_partition(i % 8)).unwrap())
        .collect();
    for handle in handles {
        handle.wait().unwrap();
    }
    producer.close().unwrap();
    let deadline = Instant::now() + CONSUME_TIMEOUT;
    while broker.metric_sum("sluice_forwarded_requests_total") == 0.0 {
        assert!(Instant::now() < deadline, "requests through the shared port were never forwarded");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn given_headers_and_null_fields_when_round_tripping_should_read_them_back_unchanged() {
    let broker = Broker::start();
    Admin::connect(&broker.address).unwrap().create_topic("fields", 1).unwrap();
    let producer = Producer::connect(&broker.address, ProducerConfig::default()).unwrap();
    let mut tombstone = ProducerRecord::new("fields", "").with_key("k");
    tombstone.value = None;
    let with_headers =
        ProducerRecord::new("fields", "v").with_header("a", "1").with_header("b", "2");
    producer.send(tombstone).unwrap().wait().unwrap();
    producer.send(with_headers).unwrap().wait().unwrap();
    producer.close().unwrap();
    let records = consume_all(&broker, "fields", 1, 2);
    assert_eq!(records[0].key.as_deref(), Some(&b"k"[..]));
    assert_eq!(records[0].value, None);
    let headers: Vec<(Vec<u8>, Option<Vec<u8>>)> =
        records[1].headers.iter().map(|h| (h.key.to_vec(), h.value.map(|v| v.to_vec()))).collect();
    assert_eq!(
        headers,
        vec![(b"a".to_vec(), Some(b"1".to_vec())), (b"b".to_vec(), Some(b"2".to_vec()))]
    );
}

#[test]
fn given_a_consumer_at_the_end_when_asking_lag_should_report_zero_and_position_the_end() {
    let broker = Broker::start();
    Admin::connect(&broker.address).unwrap().create_topic("lagging", 1).unwrap();
    let producer = Producer::connect(&broker.address, ProducerConfig::default()).unwrap();
    for i in 0..10 {
        producer.send(ProducerRecord::new("lagging", format!("{i}"))).unwrap();
    }
    producer.close().unwrap();
    let mut consumer = Consumer::connect(&broker.address, ConsumerConfig::default()).unwrap();
    let partition = TopicPartition::new("lagging", 0);
    consumer.assign([partition.clone()]);
    consumer.seek(&partition, SeekTarget::Offset(4)).unwrap();
    let records = consumer.poll(CONSUME_TIMEOUT).unwrap();
    assert_eq!(records.first().map(|r| r.offset), Some(4));
    assert_eq!(records.len(), 6);
    assert_eq!(consumer.position(&partition).unwrap(), 10);
    assert_eq!(consumer.lag(&partition).unwrap(), Some(0));
    consumer.seek(&partition, SeekTarget::Latest).unwrap();
    assert_eq!(consumer.position(&partition).unwrap(), 10);
    consumer.seek(&partition, SeekTarget::Earliest).unwrap();
    assert_eq!(consumer.position(&partition).unwrap(), 0);
    assert_eq!(consumer.lag(&partition).unwrap(), Some(10));
}

#[test]
fn given_a_missing_topic_when_producing_should_fail_with_unknown_topic() {
    let broker = Broker::start();
    let producer = Producer::connect(&broker.address, ProducerConfig::default()).unwrap();
    let error = producer.send(ProducerRecord::new("missing", "v")).unwrap().wait().unwrap_err();
    assert_eq!(error, ClientError::UnknownTopic("missing".into()));
    assert_eq!(error.to_string(), "topic \"missing\" does not exist");
}

#[test]
fn given_an_idle_consumer_when_polling_for_two_seconds_should_only_long_poll() {
    let broker = Broker::start();
    Admin::connect(&broker.address).unwrap().create_topic("idle", 2).unwrap();
    let mut consumer = Consumer::connect(&broker.address, ConsumerConfig::default()).unwrap();
    let partitions = [TopicPartition::new("idle", 0), TopicPartition::new("idle", 1)];
    consumer.assign(partitions.clone());
    let cpu_before = thread_cpu_time();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        assert!(consumer.poll(Duration::from_millis(500)).unwrap().is_empty());
    }
    let cpu = thread_cpu_time() - cpu_before;
    drop(consumer);
    // Fetches wait 500 ms in the broker: two shards, about four fetches each in two seconds.
    let deadline = Instant::now() + CONSUME_TIMEOUT;
    while broker.metric_sum("sluice_connections_open") != 0.0 {
        assert!(Instant::now() < deadline, "connections never closed");
        std::thread::sleep(Duration::from_millis(20));
    }
    let fetches = broker.metric_sum("sluice_fetch_requests_total");
    assert!((2.0..=16.0).contains(&fetches), "{fetches} fetches in 2 s");
    assert!(cpu < Duration::from_millis(200), "idle polling used {cpu:?} of CPU");
}

/// CPU time used by the calling thread.
fn thread_cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    // utime and stime are fields 14 and 15, counted after the parenthesised command name.
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf only reads a system constant.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_millis(ticks * 1000 / ticks_per_second)
}

#[test]
fn given_each_acks_level_when_producing_should_store_every_record() {
    let broker = Broker::start();
    Admin::connect(&broker.address).unwrap().create_topic("acks", 1).unwrap();
    for (round, acks) in
        [sluice_client::Acks::All, sluice_client::Acks::Leader, sluice_client::Acks::None]
            .into_iter()
            .enumerate()
    {
        let producer = Producer::connect(
            &broker.address,
            ProducerConfig { acks, ..ProducerConfig::default() },
        )
        .unwrap();
        let handles: Vec<_> = (0..100)
            .map(|i| producer.send(ProducerRecord::new("acks", format!("{round}:{i}"))).unwrap())
            .collect();
        producer.close().unwrap();
        for (i, handle) in handles.into_iter().enumerate() {
            let written = handle.wait().unwrap();
            let expected =
                if acks == sluice_client::Acks::None { -1 } else { (round * 100 + i) as i64 };
            assert_eq!(written.offset, expected);
        }
    }
    let records = consume_all(&broker, "acks", 1, 300);
    let values: Vec<String> = records
        .iter()
        .map(|r| String::from_utf8(r.value.clone().unwrap().to_vec()).unwrap())
        .collect();
    let expected: Vec<String> =
        (0..3).flat_map(|round| (0..100).map(move |i| format!("{round}:{i}"))).collect();
    assert_eq!(values, expected);
}
