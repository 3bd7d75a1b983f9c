//! Property tests of the batch format: whatever the builder writes the reader returns exactly,
//! and no mutation or truncation of a batch makes any reader panic.

use bytes::Bytes;
use proptest::prelude::*;
use sluice_proto::record_batch::layout::{CRC_START, HEADER_LEN};
use sluice_proto::record_batch::{seal_crc, validate, Batch, BatchBuilder, BatchReader, Batches};

#[path = "../fuzz/fuzz_targets/batch_read_exercise.rs"]
mod batch_read_exercise;

type Headers = Vec<(Vec<u8>, Option<Vec<u8>>)>;

#[derive(Debug, Clone)]
struct Input {
    timestamp: i64,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Headers,
}

fn bytes_field(max: usize) -> impl Strategy<Value = Option<Vec<u8>>> {
    proptest::option::weighted(0.8, proptest::collection::vec(any::<u8>(), 0..max))
}

fn timestamp() -> impl Strategy<Value = i64> {
    prop_oneof![any::<i64>(), 1_600_000_000_000i64..1_800_000_000_000, Just(-1), Just(0)]
}

fn input() -> impl Strategy<Value = Input> {
    (
        timestamp(),
        bytes_field(40),
        bytes_field(300),
        proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..12), bytes_field(20)),
            0..4,
        ),
    )
        .prop_map(|(timestamp, key, value, headers)| Input { timestamp, key, value, headers })
}

#[derive(Debug, Clone)]
struct Settings {
    base_offset: i64,
    leader_epoch: i32,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
}

fn settings() -> impl Strategy<Value = Settings> {
    (0..i64::MAX / 2, any::<i32>(), any::<i64>(), any::<i16>(), any::<i32>()).prop_map(
        |(base_offset, leader_epoch, producer_id, producer_epoch, base_sequence)| Settings {
            base_offset,
            leader_epoch,
            producer_id,
            producer_epoch,
            base_sequence,
        },
    )
}

fn build(settings: &Settings, inputs: &[Input]) -> Bytes {
    let mut builder = BatchBuilder::new();
    builder
        .set_base_offset(settings.base_offset)
        .set_partition_leader_epoch(settings.leader_epoch)
        .set_producer(settings.producer_id, settings.producer_epoch, settings.base_sequence);
    for input in inputs {
        let headers: Vec<(&[u8], Option<&[u8]>)> =
            input.headers.iter().map(|(k, v)| (k.as_slice(), v.as_deref())).collect();
        builder
            .append_with_headers(
                input.timestamp,
                input.key.as_deref(),
                input.value.as_deref(),
                &headers,
            )
            .unwrap();
    }
    builder.finish()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn given_arbitrary_records_when_built_and_read_should_round_trip_exactly(
        settings in settings(),
        inputs in proptest::collection::vec(input(), 0..40),
    ) {
        let bytes = build(&settings, &inputs);
        let batch = Batch::new(bytes.clone()).unwrap();
        let header = *batch.header();
        prop_assert_eq!(header.base_offset, settings.base_offset);
        prop_assert_eq!(header.partition_leader_epoch, settings.leader_epoch);
        prop_assert_eq!(header.producer_id, settings.producer_id);
        prop_assert_eq!(header.producer_epoch, settings.producer_epoch);
        prop_assert_eq!(header.base_sequence, settings.base_sequence);
        prop_assert_eq!(header.records_count as usize, inputs.len());
        prop_assert_eq!(header.total_len(), bytes.len());
        if let Some(first) = inputs.first() {
            prop_assert_eq!(header.base_timestamp, first.timestamp);
            prop_assert_eq!(header.max_timestamp, inputs.iter().map(|i| i.timestamp).max().unwrap());
            prop_assert_eq!(header.last_offset_delta as usize, inputs.len() - 1);
        }
        batch.check_records().unwrap();

        let records: Vec<_> = batch.records().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(records.len(), inputs.len());
        for (index, (record, input)) in records.iter().zip(&inputs).enumerate() {
            prop_assert_eq!(record.offset, settings.base_offset + index as i64);
            prop_assert_eq!(record.timestamp, input.timestamp);
            prop_assert_eq!(record.key.as_deref(), input.key.as_deref());
            prop_assert_eq!(record.value.as_deref(), input.value.as_deref());
            let headers: Headers =
                record.headers.iter().map(|h| (h.key.to_vec(), h.value.map(|v| v.to_vec()))).collect();
            prop_assert_eq!(&headers, &input.headers);
        }
    }

    #[test]
    fn given_several_built_batches_back_to_back_when_reading_should_yield_each_in_order(
        batches in proptest::collection::vec((settings(), proptest::collection::vec(input(), 0..6)), 1..6),
    ) {
        let mut buffer = Vec::new();
        for (settings, inputs) in &batches {
            buffer.extend_from_slice(&build(settings, inputs));
        }
        let buffer = Bytes::from(buffer);
        let framed: Vec<_> = Batches::new(buffer.clone()).collect::<Result<_, _>>().unwrap();
        let read: Vec<_> = BatchReader::new(buffer).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(framed.len(), batches.len());
        prop_assert_eq!(read.len(), batches.len());
        for ((batch, (settings, inputs)), (header, _)) in read.iter().zip(&batches).zip(&framed) {
            prop_assert_eq!(batch.header(), header);
            prop_assert_eq!(header.base_offset, settings.base_offset);
            prop_assert_eq!(batch.records().count(), inputs.len());
        }
    }

    #[test]
    fn given_one_changed_byte_under_the_crc_when_validating_should_always_refuse(
        inputs in proptest::collection::vec(input(), 1..10),
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let mut bytes = build(&settings_default(), &inputs).to_vec();
        let at = CRC_START + at.index(bytes.len() - CRC_START);
        bytes[at] ^= flip;
        // CRC-32C detects every error burst of up to 32 bits, so this can never pass.
        prop_assert!(validate(&bytes).is_err());
        batch_read_exercise::exercise(&bytes);
    }

    #[test]
    fn given_arbitrary_mutations_and_truncation_when_reading_should_error_or_stay_consistent(
        inputs in proptest::collection::vec(input(), 0..10),
        mutations in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        keep in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
        reseal in any::<bool>(),
    ) {
        let mut bytes = build(&settings_default(), &inputs).to_vec();
        for (at, value) in &mutations {
            let at = at.index(bytes.len());
            bytes[at] = *value;
        }
        if reseal && bytes.len() >= HEADER_LEN {
            // Re-sealing lets the mutation reach the record parser instead of the CRC check.
            seal_crc(&mut bytes);
        }
        if truncate {
            bytes.truncate(keep.index(bytes.len() + 1));
        }
        // Never panics, and every view agrees with the others (see the exercise's asserts).
        batch_read_exercise::exercise(&bytes);
        match Batch::new(Bytes::from(bytes.clone())) {
            Ok(batch) => {
                // Accepted (the CRC matched, or only bytes outside it changed): then every
                // record must be fully readable or the walk ends in one typed error.
                let results: Vec<_> = batch.records().collect();
                let errors = results.iter().filter(|r| r.is_err()).count();
                prop_assert!(errors <= 1);
                prop_assert_eq!(errors == 0, batch.check_records().is_ok());
            }
            Err(error) => {
                // The error renders (it is a real typed value, not a panic in disguise).
                prop_assert!(!error.to_string().is_empty());
            }
        }
    }
}

fn settings_default() -> Settings {
    Settings {
        base_offset: 0,
        leader_epoch: -1,
        producer_id: -1,
        producer_epoch: -1,
        base_sequence: -1,
    }
}
