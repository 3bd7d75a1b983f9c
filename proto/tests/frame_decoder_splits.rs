//! The frame decoder yields the same frames however the byte stream is split into reads.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use sluice_proto::frame::{Frame, FrameDecoder, OutgoingFrame};

fn arb_frame() -> impl Strategy<Value = Frame> {
    (prop::collection::vec(any::<u8>(), 0..64), prop::collection::vec(any::<u8>(), 0..300))
        .prop_map(|(header, payload)| Frame {
            header: Bytes::from(header),
            payload: Bytes::from(payload),
        })
}

proptest! {
    #[test]
    fn any_split_of_a_frame_stream_should_yield_the_same_frames(
        frames in prop::collection::vec(arb_frame(), 0..12),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..40),
    ) {
        let mut stream = Vec::new();
        for frame in &frames {
            let encoded = OutgoingFrame::new(&frame.header, vec![frame.payload.clone()]).unwrap();
            stream.extend_from_slice(&encoded.to_bytes());
        }
        let mut cut_points: Vec<usize> = cuts.iter().map(|cut| cut.index(stream.len() + 1)).collect();
        cut_points.push(0);
        cut_points.push(stream.len());
        cut_points.sort_unstable();

        let mut decoder = FrameDecoder::new();
        let mut buffer = BytesMut::new();
        let mut decoded = Vec::new();
        for window in cut_points.windows(2) {
            buffer.extend_from_slice(&stream[window[0]..window[1]]);
            // Bounded: each iteration either yields a frame or stops.
            for _ in 0..=frames.len() {
                match decoder.decode(&mut buffer).unwrap() {
                    Some(frame) => decoded.push(frame),
                    None => break,
                }
            }
        }
        prop_assert!(buffer.is_empty());
        prop_assert_eq!(decoded, frames);
    }

    #[test]
    fn byte_at_a_time_delivery_should_yield_the_frame_exactly_once(frame in arb_frame()) {
        let bytes = OutgoingFrame::new(&frame.header, vec![frame.payload.clone()]).unwrap().to_bytes();
        let mut decoder = FrameDecoder::new();
        let mut buffer = BytesMut::new();
        let mut decoded = Vec::new();
        for byte in bytes.iter() {
            buffer.extend_from_slice(&[*byte]);
            if let Some(frame) = decoder.decode(&mut buffer).unwrap() {
                decoded.push(frame);
            }
        }
        prop_assert_eq!(decoded, vec![frame]);
    }
}
