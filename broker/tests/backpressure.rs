//! Clients that flood requests and never read their responses are slowed down by TCP, and the
//! broker's memory stays bounded: each connection holds at most its in-flight budget of
//! requests and response batches, and the batch cache has a fixed size.

mod support;

use std::io::{ErrorKind, Write};
use std::time::{Duration, Instant};

use sluice_proto::message::*;
use sluice_proto::record_batch::BatchBuilder;
use support::*;

const BUDGET: &str = "16777216";
const CACHE: &str = "16777216";
/// Broker memory allowed besides the budget and the cache: code, executors, DMA buffers,
/// socket buffers accounted to the process, allocator slack.
const RSS_BYTES_MAX: u64 = 200 * 1024 * 1024;
/// Each flood stops here whatever happens, so the tests are bounded.
const FLOOD_BYTES_MAX: usize = 1024 * 1024 * 1024;

fn rss_bytes(broker: &TestBroker) -> u64 {
    let pid = broker.child.as_ref().expect("running").id();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kib * 1024
}

fn half_mib_batch() -> bytes::Bytes {
    let mut builder = BatchBuilder::new();
    let value = vec![b'f'; 1024];
    while builder.encoded_len() < 512 * 1024 {
        builder.append(1, None, Some(&value)).unwrap();
    }
    builder.finish()
}

/// Writes `frame` over and over without reading, until the broker has taken nothing for a
/// second (it stopped reading) or `limit` bytes went out. Returns the bytes written and
/// whether the broker pushed back.
fn flood(client: &mut TestClient, frame: &[u8], limit: usize) -> (usize, bool) {
    client.stream.set_nonblocking(true).unwrap();
    let (mut written, mut at) = (0usize, 0usize);
    let mut last_progress = Instant::now();
    while written < limit {
        if last_progress.elapsed() >= Duration::from_secs(1) {
            return (written, true);
        }
        match client.stream.write(&frame[at..]) {
            Ok(n) => {
                written += n;
                at = (at + n) % frame.len();
                last_progress = Instant::now();
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::yield_now(),
            Err(e) => panic!("write failed: {e}"),
        }
    }
    (written, false)
}

#[test]
fn given_consumer_that_never_reads_fetch_responses_should_stop_reading_its_requests() {
    let broker = TestBroker::start_with(
        1,
        &["--connection-inflight-bytes", BUDGET, "--cache-bytes-per-shard", CACHE],
    );
    let mut producer = broker.client();
    producer.create_topic("slow", 1);
    for _ in 0..16 {
        assert_eq!(producer.produce("slow", 0, half_mib_batch()).0, sluice_proto::ErrorCode::None);
    }
    let mut fetch = fetch_request("slow", 0, 0, 0, 1);
    fetch.max_bytes = 8 << 20;
    let frame = encode_request(&Request::new(1, fetch)).unwrap().to_bytes();
    let mut consumer = broker.client();
    let (written, pushed_back) = flood(&mut consumer, &frame, FLOOD_BYTES_MAX);
    assert!(pushed_back, "the broker kept reading fetch requests ({written} bytes)");
    let rss = rss_bytes(&broker);
    assert!(rss < RSS_BYTES_MAX, "broker RSS {rss} bytes while a consumer stalls");
    // Everyone else is still served.
    assert_eq!(broker.client().fetch("slow", 0, 0, 0, 1).error_code, sluice_proto::ErrorCode::None);
}

#[test]
fn given_producer_that_never_reads_acknowledgements_should_keep_broker_memory_bounded() {
    let broker = TestBroker::start_with(
        1,
        &["--connection-inflight-bytes", BUDGET, "--cache-bytes-per-shard", CACHE],
    );
    let mut client = broker.client();
    let never = TopicConfig {
        partitions: Some(1),
        flush_policy: Some(FlushPolicy::Never),
        ..Default::default()
    };
    assert_eq!(client.try_create_topic("flood", never), sluice_proto::ErrorCode::None);
    let frame = encode_request(&Request::new(1, produce_request("flood", 0, half_mib_batch())))
        .unwrap()
        .to_bytes();
    // Acknowledgements are tiny, so the broker may keep taking produces (their bytes go to
    // disk) long after this client stopped reading; what must not grow is its memory.
    let (written, _) = flood(&mut client, &frame, 256 * 1024 * 1024);
    assert!(written > 64 * 1024 * 1024, "the flood got going ({written} bytes)");
    let rss = rss_bytes(&broker);
    assert!(rss < RSS_BYTES_MAX, "broker RSS {rss} bytes after a {written}-byte flood");
    let high_watermark = broker.client().fetch("flood", 0, 0, 0, 1).high_watermark;
    assert!(high_watermark > 0, "the flood's batches were appended");
}
