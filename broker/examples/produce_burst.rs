//! Sends a fixed produce workload to a broker and waits for every acknowledgement: the
//! repeatable load behind the broker's instruction-count measurements (perf/broker-hot-path.md).
//!
//! `cargo run --release -p sluice-broker --example produce_burst -- ADDR TOPIC REQUESTS BATCH_BYTES`
//!
//! The topic is created with one partition and flush policy `never` if missing, so the
//! measurement is of the broker's CPU path, not of the disk.

use std::io::{Read, Write};
use std::net::TcpStream;

use bytes::BytesMut;
use sluice_proto::frame::FrameDecoder;
use sluice_proto::message::*;
use sluice_proto::record_batch::BatchBuilder;
use sluice_proto::ErrorCode;

/// Requests in flight before waiting for acknowledgements.
const PIPELINE_DEPTH: usize = 32;
/// Record size inside each batch.
const RECORD_BYTES: usize = 1024;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: produce_burst ADDR TOPIC REQUESTS BATCH_BYTES");
        std::process::exit(2);
    }
    let requests: usize = args[3].parse().expect("REQUESTS is a number");
    let batch_bytes: usize = args[4].parse().expect("BATCH_BYTES is a number");
    let stream = TcpStream::connect(&args[1]).expect("connect to the broker");
    stream.set_nodelay(true).expect("nodelay");
    let mut connection =
        Connection { stream, decoder: FrameDecoder::new(), buffer: BytesMut::new() };
    let topic = args[2].clone();

    let create = CreateTopicsRequest {
        topics: vec![CreatableTopic {
            name: topic.clone(),
            config: TopicConfig {
                partitions: Some(1),
                flush_policy: Some(FlushPolicy::Never),
                ..Default::default()
            },
        }],
        timeout_ms: 10_000,
        validate_only: false,
    };
    connection.send(&Request::new(0, create));
    match connection.recv().body {
        ResponseBody::CreateTopics(r) => {
            let code = r.topics[0].error_code;
            assert!(code == ErrorCode::None || code == ErrorCode::TopicAlreadyExists, "{code:?}");
        }
        other => panic!("unexpected {other:?}"),
    }

    let mut builder = BatchBuilder::new();
    let value = vec![b'x'; RECORD_BYTES];
    while builder.encoded_len() + RECORD_BYTES + 32 <= batch_bytes {
        builder.append(1_700_000_000_000, None, Some(&value)).expect("append");
    }
    let batch = builder.finish();
    let request = |id: u32| {
        Request::new(
            id,
            ProduceRequest {
                acks: Acks::Leader,
                timeout_ms: 10_000,
                topics: vec![ProduceTopic {
                    name: topic.clone(),
                    partitions: vec![ProducePartition {
                        partition: 0,
                        records: BatchBytes::from(batch.clone()),
                    }],
                }],
            },
        )
    };
    let started = std::time::Instant::now();
    let (mut sent, mut acked) = (0usize, 0usize);
    while acked < requests {
        while sent < requests && sent - acked < PIPELINE_DEPTH {
            connection.send(&request(sent as u32 + 1));
            sent += 1;
        }
        match connection.recv().body {
            ResponseBody::Produce(r) => {
                assert_eq!(r.topics[0].partitions[0].error_code, ErrorCode::None);
                acked += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let elapsed = started.elapsed();
    let bytes = requests * batch.len();
    println!(
        "{requests} produce requests of {} bytes in {elapsed:?}: {:.1} MB/s",
        batch.len(),
        bytes as f64 / elapsed.as_secs_f64() / 1e6
    );
}

struct Connection {
    stream: TcpStream,
    decoder: FrameDecoder,
    buffer: BytesMut,
}

impl Connection {
    fn send(&mut self, request: &Request) {
        let frame = encode_request(request).expect("encode");
        for chunk in frame.chunks() {
            self.stream.write_all(chunk).expect("write");
        }
    }

    fn recv(&mut self) -> Response {
        loop {
            if let Some(frame) = self.decoder.decode(&mut self.buffer).expect("framing") {
                return decode_response(&frame).expect("response");
            }
            let mut chunk = [0u8; 65536];
            let n = self.stream.read(&mut chunk).expect("read");
            assert!(n > 0, "broker closed the connection");
            self.buffer.extend_from_slice(&chunk[..n]);
        }
    }
}
