//! Frame decode + verify throughput for a produce request carrying 64 KiB of batch bytes over
//! 8 partitions: the broker's per-request cost before any batch is looked at.
//!
//! Run: `cargo bench -p sluice-proto --bench frame_decode`

use bytes::{Bytes, BytesMut};
use divan::counter::BytesCount;
use divan::{black_box, Bencher};
use sluice_proto::frame::FrameDecoder;
use sluice_proto::message::{
    decode_request, encode_request, Acks, BatchBytes, ProducePartition, ProduceRequest,
    ProduceTopic, Request,
};

const PAYLOAD_BYTES: usize = 64 * 1024;

fn main() {
    divan::main();
}

fn produce_frame(partitions: u32) -> Bytes {
    let per_partition = PAYLOAD_BYTES / partitions as usize;
    let request = Request::new(
        42,
        ProduceRequest {
            acks: Acks::All,
            timeout_ms: 30_000,
            topics: vec![ProduceTopic {
                name: "bench-topic".into(),
                partitions: (0..partitions)
                    .map(|partition| ProducePartition {
                        partition,
                        records: BatchBytes::from(vec![partition as u8; per_partition]),
                    })
                    .collect(),
            }],
        },
    );
    encode_request(&request).expect("bench request encodes").to_bytes()
}

/// The whole receive path: cut the frame out of the buffer, verify the header, decode the
/// request (payload ranges resolved to zero-copy slices).
#[divan::bench(args = [1, 8, 64])]
fn produce_64k(bencher: Bencher<'_, '_>, partitions: u32) {
    let wire = produce_frame(partitions);
    bencher
        .counter(BytesCount::new(wire.len()))
        .with_inputs(|| BytesMut::from(&wire[..]))
        .bench_local_refs(|buffer| {
            let frame = FrameDecoder::new().decode(buffer).unwrap().unwrap();
            black_box(decode_request(&frame).unwrap())
        });
}

/// Framing alone, to separate it from verification and decoding.
#[divan::bench]
fn frame_split_only(bencher: Bencher<'_, '_>) {
    let wire = produce_frame(8);
    bencher
        .counter(BytesCount::new(wire.len()))
        .with_inputs(|| BytesMut::from(&wire[..]))
        .bench_local_refs(|buffer| black_box(FrameDecoder::new().decode(buffer).unwrap().unwrap()));
}
