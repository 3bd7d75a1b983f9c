//! Cross-checks against kafka-python, an independent implementation: the committed vectors in
//! `tests/vectors/` were written by its `DefaultRecordBatchBuilder` and its murmur2 port (see
//! `scripts/gen-batch-vectors.py`). Our reader must decode every batch to exactly the inputs
//! listed in the manifest, and our builder must write the very same bytes.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use sluice_proto::partitioner::{murmur2, partition_for_key};
use sluice_proto::record_batch::{BatchBuilder, BatchReader, Batches};

/// One record as the manifest lists it.
#[derive(Debug, Clone, PartialEq)]
struct ExpectedRecord {
    timestamp: i64,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

#[derive(Debug)]
struct ExpectedBatch {
    name: String,
    file: String,
    base_offset: i64,
    leader_epoch: i32,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    records: Vec<ExpectedRecord>,
}

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len() % 2 == 0, "odd hex {text:?}");
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

/// Decodes a manifest field: `-`, `hex:<bytes>` or `pattern:<len>:<seed>`.
fn field(text: &str) -> Option<Vec<u8>> {
    if text == "-" {
        return None;
    }
    if let Some(bytes) = text.strip_prefix("hex:") {
        return Some(hex(bytes));
    }
    let spec = text.strip_prefix("pattern:").unwrap_or_else(|| panic!("bad field {text:?}"));
    let (len, seed) = spec.split_once(':').unwrap();
    let (len, seed): (usize, usize) = (len.parse().unwrap(), seed.parse().unwrap());
    Some((0..len).map(|i| ((seed + i * 31) % 251) as u8).collect())
}

fn attribute<'a>(line: &'a str, name: &str) -> &'a str {
    let prefix = format!("{name}=");
    line.split(' ')
        .find_map(|token| token.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no {name} in {line:?}"))
}

fn manifest() -> Vec<ExpectedBatch> {
    let text = std::fs::read_to_string(vectors_dir().join("batches.txt")).unwrap();
    let mut batches = Vec::new();
    let mut current: Option<ExpectedBatch> = None;
    for line in text.lines().filter(|line| !line.starts_with('#') && !line.is_empty()) {
        if let Some(rest) = line.strip_prefix("batch ") {
            assert!(current.is_none(), "batch inside batch");
            current = Some(ExpectedBatch {
                name: rest.split(' ').next().unwrap().to_owned(),
                file: attribute(line, "file").to_owned(),
                base_offset: attribute(line, "base_offset").parse().unwrap(),
                leader_epoch: attribute(line, "leader_epoch").parse().unwrap(),
                producer_id: attribute(line, "producer_id").parse().unwrap(),
                producer_epoch: attribute(line, "producer_epoch").parse().unwrap(),
                base_sequence: attribute(line, "base_sequence").parse().unwrap(),
                records: Vec::new(),
            });
        } else if line.starts_with("record ") {
            let headers = attribute(line, "headers");
            let headers = if headers.is_empty() {
                Vec::new()
            } else {
                headers
                    .split(',')
                    .map(|pair| {
                        let (key, value) = pair.split_once('/').unwrap();
                        (hex(key), field(value))
                    })
                    .collect()
            };
            current.as_mut().expect("record outside batch").records.push(ExpectedRecord {
                timestamp: attribute(line, "ts").parse().unwrap(),
                key: field(attribute(line, "key")),
                value: field(attribute(line, "value")),
                headers,
            });
        } else if line == "end" {
            batches.push(current.take().expect("end outside batch"));
        } else {
            panic!("unexpected manifest line {line:?}");
        }
    }
    assert!(current.is_none(), "unterminated batch");
    assert!(batches.len() >= 10, "the manifest lost its batches");
    batches
}

fn vector_bytes(batch: &ExpectedBatch) -> Bytes {
    Bytes::from(std::fs::read(vectors_dir().join(&batch.file)).unwrap())
}

fn build(expected: &ExpectedBatch) -> Bytes {
    let mut builder = BatchBuilder::new();
    builder
        .set_base_offset(expected.base_offset)
        .set_partition_leader_epoch(expected.leader_epoch)
        .set_producer(expected.producer_id, expected.producer_epoch, expected.base_sequence);
    for record in &expected.records {
        let headers: Vec<(&[u8], Option<&[u8]>)> =
            record.headers.iter().map(|(k, v)| (k.as_slice(), v.as_deref())).collect();
        builder
            .append_with_headers(
                record.timestamp,
                record.key.as_deref(),
                record.value.as_deref(),
                &headers,
            )
            .unwrap();
    }
    builder.finish()
}

#[test]
fn given_kafka_python_batches_when_reading_should_decode_exactly_the_inputs() {
    for expected in manifest() {
        let bytes = vector_bytes(&expected);
        let batches: Vec<_> = BatchReader::new(bytes.clone()).collect();
        assert_eq!(batches.len(), 1, "{}", expected.name);
        let batch = batches.into_iter().next().unwrap().unwrap();
        assert_eq!(batch.header().base_offset, expected.base_offset, "{}", expected.name);
        assert_eq!(batch.header().records_count as usize, expected.records.len());
        assert_eq!(batch.header().producer_id, expected.producer_id);
        assert_eq!(batch.header().producer_epoch, expected.producer_epoch);
        assert_eq!(batch.header().base_sequence, expected.base_sequence);
        assert_eq!(
            batch.header().max_timestamp,
            expected.records.iter().map(|r| r.timestamp).max().unwrap(),
        );
        batch.check_records().unwrap();

        let mut count = 0;
        for (index, (record, want)) in batch.records().zip(&expected.records).enumerate() {
            let record = record.unwrap_or_else(|e| panic!("{} record {index}: {e}", expected.name));
            assert_eq!(record.offset, expected.base_offset + index as i64, "{}", expected.name);
            let got = ExpectedRecord {
                timestamp: record.timestamp,
                key: record.key.as_ref().map(|b| b.to_vec()),
                value: record.value.as_ref().map(|b| b.to_vec()),
                headers: record
                    .headers
                    .iter()
                    .map(|h| (h.key.to_vec(), h.value.map(|v| v.to_vec())))
                    .collect(),
            };
            assert_eq!(&got, want, "{} record {index}", expected.name);
            count += 1;
        }
        assert_eq!(count, expected.records.len(), "{}", expected.name);
    }
}

#[test]
fn given_kafka_python_inputs_when_building_should_reproduce_the_vector_byte_for_byte() {
    for expected in manifest() {
        let built = build(&expected);
        let vector = vector_bytes(&expected);
        assert_eq!(built.len(), vector.len(), "{}: length", expected.name);
        if let Some(at) = built.iter().zip(vector.iter()).position(|(a, b)| a != b) {
            panic!("{}: first differing byte at {at}", expected.name);
        }
    }
}

#[test]
fn given_all_vectors_back_to_back_when_iterating_batches_should_yield_each_as_a_slice() {
    let batches = manifest();
    let mut buffer = Vec::new();
    let mut ends = Vec::new();
    for batch in &batches {
        buffer.extend_from_slice(&vector_bytes(batch));
        ends.push(buffer.len());
    }
    let buffer = Bytes::from(buffer);
    let mut iter = Batches::new(buffer.clone());
    for (expected, end) in batches.iter().zip(&ends) {
        let (header, bytes) = iter.next().unwrap().unwrap();
        assert_eq!(header.base_offset, expected.base_offset);
        assert_eq!(iter.position(), *end);
        // A slice of the input, not a copy.
        assert_eq!(bytes.as_ptr(), buffer[end - bytes.len()..].as_ptr());
    }
    assert!(iter.next().is_none());
}

#[test]
fn given_kafka_python_murmur2_vectors_when_hashing_should_match_hash_and_partitions() {
    let text = std::fs::read_to_string(vectors_dir().join("murmur2.txt")).unwrap();
    let mut checked = 0;
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let mut tokens = line.split(' ');
        let key = hex(tokens.next().unwrap().strip_prefix("hex:").unwrap());
        let hash: i32 = tokens.next().unwrap().parse().unwrap();
        assert_eq!(murmur2(&key), hash, "key {key:02x?}");
        for (partitions, want) in (1..).zip(tokens) {
            assert_eq!(partition_for_key(&key, partitions), want.parse::<u32>().unwrap());
        }
        checked += 1;
    }
    assert!(checked >= 400, "only {checked} murmur2 vectors");
}
