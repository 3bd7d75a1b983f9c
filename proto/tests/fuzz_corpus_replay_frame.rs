//! Replays the committed `frame_decode` fuzz corpus (proto/fuzz/corpus/frame_decode/) through
//! the same path as the fuzz target, so every test run covers what fuzzing found without
//! needing libFuzzer.
//!
//! `seed-*` files are one frame per sample message; regenerate them with
//! `cargo test -p sluice-proto --test fuzz_corpus_replay_frame -- --ignored`. `fuzz-*` files are
//! a handful of inputs libFuzzer found (headers with a valid identifier, of varied sizes),
//! kept small on purpose; the full working corpus stays out of git.

mod common;

use std::path::PathBuf;

use bytes::BytesMut;
use sluice_proto::frame::FrameDecoder;
use sluice_proto::message::{decode_request, decode_response, encode_request, encode_response};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/frame_decode")
}

/// Mirrors `proto/fuzz/fuzz_targets/frame_decode.rs`; returns the frames decoded.
fn decode_everything(data: &[u8]) -> usize {
    let mut decoder = FrameDecoder::new();
    let mut buffer = BytesMut::from(data);
    let mut frames = 0;
    for _ in 0..=data.len() / 8 {
        match decoder.decode(&mut buffer) {
            Ok(Some(frame)) => {
                frames += 1;
                match decode_request(&frame) {
                    Ok(request) => {
                        let _ = encode_request(&request);
                    }
                    Err(error) => {
                        if let Some(response) = error.error_response() {
                            encode_response(&response).expect("error responses always encode");
                        }
                    }
                }
                if let Ok(response) = decode_response(&frame) {
                    let _ = encode_response(&response);
                }
            }
            Ok(None) | Err(_) => break,
        }
    }
    frames
}

#[test]
fn every_corpus_file_should_decode_without_panicking() {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("corpus directory exists")
        .map(|entry| entry.expect("readable corpus entry").path())
        .filter(|path| path.is_file())
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "the seed corpus must not be empty");
    let mut frames = 0;
    for path in &entries {
        let data = std::fs::read(path).expect("readable corpus file");
        frames += decode_everything(&data);
    }
    assert!(frames > 0, "the corpus holds no decodable frame at all");
}

#[test]
#[ignore = "writes the seed corpus; run explicitly after a schema change"]
fn write_seed_corpus() {
    let dir = corpus_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let mut pipelined = Vec::new();
    for (index, request) in common::sample_requests().iter().enumerate() {
        let bytes = encode_request(request).unwrap().to_bytes();
        if index < 3 {
            pipelined.extend_from_slice(&bytes);
        }
        std::fs::write(dir.join(format!("seed-request-{index:02}")), &bytes).unwrap();
    }
    for (index, response) in common::sample_responses().iter().enumerate() {
        let bytes = encode_response(response).unwrap().to_bytes();
        std::fs::write(dir.join(format!("seed-response-{index:02}")), &bytes).unwrap();
    }
    std::fs::write(dir.join("seed-pipelined-requests"), &pipelined).unwrap();
}
