//! Arbitrary bytes through the whole receive path: frame decoder, then header verification and
//! request and response decoding of every frame it yields. Nothing may panic.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use sluice_proto::frame::FrameDecoder;
use sluice_proto::message::{decode_request, decode_response, encode_response};

fuzz_target!(|data: &[u8]| {
    let mut decoder = FrameDecoder::new();
    let mut buffer = BytesMut::from(data);
    // Each decoded frame consumes at least its 8-byte prefix, so this bound is never reached.
    for _ in 0..=data.len() / 8 {
        match decoder.decode(&mut buffer) {
            Ok(Some(frame)) => {
                match decode_request(&frame) {
                    // A request that decodes must re-encode (what a proxy or test would do).
                    Ok(request) => {
                        let _ = sluice_proto::message::encode_request(&request);
                    }
                    // The broker's answer to a bad request must itself encode.
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
            Ok(None) | Err(_) => return,
        }
    }
});
