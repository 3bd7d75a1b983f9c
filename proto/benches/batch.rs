//! Throughput of the batch hot paths, each beside raw CRC-32C over the same bytes (the floor
//! any validating path pays): building a batch of 1 KiB records, validating header and CRC,
//! walking the records. Run: `cargo bench -p sluice-proto --bench batch`.

use bytes::Bytes;
use divan::counter::BytesCount;
use divan::{black_box, Bencher};
use sluice_proto::record_batch::{validate, Batch, BatchBuilder};

/// Batch sizes in KiB.
const BATCH_KIB: &[usize] = &[16, 64, 256];
/// Each record's value size.
const VALUE_BYTES: usize = 1024;

fn main() {
    divan::main();
}

/// Appends 1 KiB records (16-byte key, one small header) until the next would pass the budget,
/// the way a producer fills a batch, and returns the sealed batch.
fn fill(builder: &mut BatchBuilder, value: &[u8], budget_bytes: usize) -> Bytes {
    let headers = [("trace", Some(&b"0123456789abcdef"[..]))];
    let mut index: u64 = 0;
    loop {
        let key = index.to_be_bytes();
        let timestamp = 1_700_000_000_000 + index as i64;
        let next = builder.record_encoded_len(timestamp, Some(&key), Some(value), &headers);
        if builder.encoded_len() + next > budget_bytes {
            break;
        }
        builder.append_with_headers(timestamp, Some(&key), Some(value), &headers).unwrap();
        index += 1;
    }
    builder.finish()
}

fn sample_batch(kib: usize) -> Bytes {
    let value = vec![0x5a; VALUE_BYTES];
    fill(&mut BatchBuilder::with_capacity(kib * 1024), &value, kib * 1024)
}

#[divan::bench(args = BATCH_KIB)]
fn build(bencher: Bencher<'_, '_>, kib: usize) {
    let value = vec![0x5a; VALUE_BYTES];
    let mut builder = BatchBuilder::with_capacity(kib * 1024);
    let len = sample_batch(kib).len();
    bencher.counter(BytesCount::new(len)).bench_local(|| {
        let batch = fill(&mut builder, black_box(&value), kib * 1024);
        // Dropping the batch here lets the builder's buffer be reclaimed, as a producer's is
        // once the send completes.
        black_box(batch.len())
    });
}

#[divan::bench(args = BATCH_KIB)]
fn validate_header_and_crc(bencher: Bencher<'_, '_>, kib: usize) {
    let batch = sample_batch(kib);
    bencher
        .counter(BytesCount::new(batch.len()))
        .bench_local(|| validate(black_box(&batch)).unwrap());
}

#[divan::bench(args = BATCH_KIB)]
fn iterate_records(bencher: Bencher<'_, '_>, kib: usize) {
    let batch = Batch::new(sample_batch(kib)).unwrap();
    bencher.counter(BytesCount::new(batch.bytes().len())).bench_local(|| {
        let mut bytes = 0;
        for record in black_box(&batch).records() {
            let record = record.unwrap();
            bytes += record.value.map_or(0, |v| v.len()) + record.headers.len();
        }
        bytes
    });
}

#[divan::bench(args = BATCH_KIB)]
fn check_records(bencher: Bencher<'_, '_>, kib: usize) {
    let batch = Batch::new(sample_batch(kib)).unwrap();
    bencher
        .counter(BytesCount::new(batch.bytes().len()))
        .bench_local(|| black_box(&batch).check_records().unwrap());
}

#[divan::bench(args = BATCH_KIB)]
fn crc32c_raw(bencher: Bencher<'_, '_>, kib: usize) {
    let batch = sample_batch(kib);
    bencher
        .counter(BytesCount::new(batch.len()))
        .bench_local(|| crc32c::crc32c(black_box(&batch[..])));
}
