//! The code path the `batch_read` fuzz target drives, shared word for word with
//! `proto/tests/fuzz_corpus_replay_batch.rs` so the committed corpus is replayed by `cargo test`.
//!
//! Arbitrary bytes go through every reader (framing over slices and over `Bytes`, batches,
//! records, headers), consuming everything, and the views are checked against each other. A
//! random CRC almost never matches, which would stop the fuzzer at the header; so the input is
//! also read a second time with each batch's CRC re-sealed, to reach the record parser.

use bytes::Bytes;
use sluice_proto::record_batch::{seal_crc, BatchHeader, BatchReader, BatchSlices};

/// Reads `data` as is, then again with every parseable batch's CRC re-sealed.
pub fn exercise(data: &[u8]) {
    read_everything(Bytes::copy_from_slice(data));
    let mut resealed = data.to_vec();
    reseal_all(&mut resealed);
    read_everything(Bytes::from(resealed));
}

fn reseal_all(buf: &mut [u8]) {
    let mut position = 0;
    // Each step advances by at least a header, so the input's length bounds this loop.
    while let Ok(header) = BatchHeader::parse(&buf[position..]) {
        let end = position + header.total_len();
        if end > buf.len() {
            return;
        }
        seal_crc(&mut buf[position..end]);
        position = end;
    }
}

fn read_everything(buf: Bytes) {
    let mut slices = BatchSlices::new(&buf);
    let mut good_batches = 0;
    for item in &mut slices {
        match item {
            Ok((header, bytes)) => {
                assert_eq!(bytes.len(), header.total_len());
                good_batches += 1;
            }
            Err(_) => break,
        }
    }
    let framing_position = slices.position();

    let mut reader = BatchReader::new(buf.clone());
    let mut batches_seen = 0;
    for item in &mut reader {
        let Ok(batch) = item else { break };
        batches_seen += 1;
        let header = *batch.header();
        let range = batch.bytes().as_ptr_range();
        let mut previous_offset = None;
        let mut count = 0;
        let mut failed = false;
        for record in batch.records() {
            let Ok(record) = record else {
                failed = true;
                continue;
            };
            count += 1;
            // Offsets strictly increase and stay within the batch's declared range.
            assert!(record.offset >= header.base_offset && record.offset <= header.last_offset());
            assert!(previous_offset.is_none_or(|previous| record.offset > previous));
            previous_offset = Some(record.offset);
            // Zero copy: every field is a slice of the batch's own bytes.
            for field in [&record.key, &record.value].into_iter().flatten() {
                assert!(field.is_empty() || range.contains(&field.as_ptr()));
            }
            let mut headers = 0;
            for header in record.headers.iter() {
                assert!(header.key.is_empty() || range.contains(&header.key.as_ptr()));
                headers += 1;
            }
            assert_eq!(headers, record.headers.len());
        }
        // The allocation-free check and the full walk must agree.
        assert_eq!(batch.check_records().is_ok(), !failed);
        if !failed {
            assert_eq!(count, header.records_count);
        }
    }
    // The consumer view stops at the same batch as the framing view, or earlier (compression).
    assert!(batches_seen <= good_batches);
    assert!(reader.position() <= framing_position);
}
