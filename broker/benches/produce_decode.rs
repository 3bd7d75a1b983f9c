//! The CPU part of the broker's produce path, from bytes off the socket to one mutable buffer
//! per batch ready for the log: frame decode, header verification, request decode, batch split.
//!
//! A fixed number of iterations, so `valgrind --tool=callgrind` counts the same instructions
//! on every run (the whole broker cannot run under valgrind: glommio's io_uring setup hangs
//! there). Wall time is printed too, for a rough figure. See perf/broker-hot-path.md.
//!
//! `cargo bench -p sluice-broker --bench produce_decode`

use std::hint::black_box;
use std::time::Instant;

use bytes::BytesMut;
use sluice_broker::handlers::produce::split_batches;
use sluice_proto::frame::FrameDecoder;
use sluice_proto::message::*;
use sluice_proto::record_batch::BatchBuilder;

const PARTITIONS: u32 = 8;
const BATCH_BYTES: usize = 64 * 1024;
const RECORD_BYTES: usize = 1024;
const ITERATIONS: usize = 2_000;

fn main() {
    let mut builder = BatchBuilder::new();
    let value = vec![b'v'; RECORD_BYTES];
    while builder.encoded_len() + RECORD_BYTES + 32 <= BATCH_BYTES {
        builder.append(1_700_000_000_000, None, Some(&value)).unwrap();
    }
    let batch = builder.finish();
    let request = Request::new(
        1,
        ProduceRequest {
            acks: Acks::Leader,
            timeout_ms: 1_000,
            topics: vec![ProduceTopic {
                name: "bench".into(),
                partitions: (0..PARTITIONS)
                    .map(|partition| ProducePartition { partition, records: batch.clone().into() })
                    .collect(),
            }],
        },
    );
    let wire = encode_request(&request).unwrap().to_bytes();
    let mut decoder = FrameDecoder::new();
    let mut buffer = BytesMut::with_capacity(wire.len());
    let started = Instant::now();
    let mut batches = 0usize;
    for _ in 0..ITERATIONS {
        // The kernel's copy into the receive buffer, which every design pays.
        buffer.extend_from_slice(&wire);
        let frame = decoder.decode_mut(&mut buffer).unwrap().unwrap();
        let IncomingRequest::Produce { request: produce, .. } = decode_request_mut(frame).unwrap()
        else {
            unreachable!("a produce request")
        };
        for topic in produce.topics {
            for partition in topic.partitions {
                batches += black_box(split_batches(partition.records).unwrap()).len();
            }
        }
    }
    let elapsed = started.elapsed();
    let bytes = ITERATIONS * PARTITIONS as usize * batch.len();
    assert_eq!(batches, ITERATIONS * PARTITIONS as usize);
    println!(
        "{ITERATIONS} produce requests x {PARTITIONS} partitions x {} bytes: {elapsed:?}, {:.2} GB/s",
        batch.len(),
        bytes as f64 / elapsed.as_secs_f64() / 1e9
    );
}
