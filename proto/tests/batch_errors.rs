//! Each way a batch can be malformed yields its own typed error. Record-level cases are built by
//! hand with a correct CRC, so they reach the record parser rather than stopping at the CRC.

use bytes::Bytes;
use sluice_proto::limits::BATCH_BYTES_MAX;
use sluice_proto::record_batch::layout::*;
use sluice_proto::record_batch::varint::{encode_varint, encode_varlong};
use sluice_proto::record_batch::{
    seal_crc, validate, Batch, BatchBuilder, BatchError, BatchReader, BatchSlices, Batches,
    RecordField, VarintError,
};

fn valid_batch() -> Vec<u8> {
    let mut builder = BatchBuilder::new();
    builder.append(1_000, Some(b"key"), Some(b"value")).unwrap();
    builder.append_with_headers(1_001, None, Some(b"v2"), &[("h", Some(&b"x"[..]))]).unwrap();
    builder.finish().to_vec()
}

/// A sealed batch around hand-made record bytes.
fn batch_around(records_count: i32, last_offset_delta: i32, records: &[u8]) -> Vec<u8> {
    let mut batch = vec![0u8; HEADER_LEN];
    batch.extend_from_slice(records);
    let batch_length = (batch.len() - LOG_OVERHEAD) as i32;
    batch[BATCH_LENGTH..BATCH_LENGTH + 4].copy_from_slice(&batch_length.to_be_bytes());
    batch[MAGIC] = MAGIC_V2 as u8;
    batch[LAST_OFFSET_DELTA..LAST_OFFSET_DELTA + 4]
        .copy_from_slice(&last_offset_delta.to_be_bytes());
    batch[RECORDS_COUNT..RECORDS_COUNT + 4].copy_from_slice(&records_count.to_be_bytes());
    seal_crc(&mut batch);
    batch
}

/// A record body: attributes, timestamp delta, offset delta, key, value, then `rest` (headers).
fn body(offset_delta: i32, key_len: i32, value: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut body = vec![0u8];
    encode_varlong(0, &mut body);
    encode_varint(offset_delta, &mut body);
    encode_varint(key_len, &mut body);
    if key_len > 0 {
        body.extend(std::iter::repeat_n(b'k', key_len as usize));
    }
    encode_varint(value.len() as i32, &mut body);
    body.extend_from_slice(value);
    body.extend_from_slice(rest);
    body
}

fn with_length(length: i32, body: &[u8]) -> Vec<u8> {
    let mut record = Vec::new();
    encode_varint(length, &mut record);
    record.extend_from_slice(body);
    record
}

fn record(body: &[u8]) -> Vec<u8> {
    with_length(body.len() as i32, body)
}

fn first_record_error(batch: Vec<u8>) -> BatchError {
    let batch = Batch::new(Bytes::from(batch)).expect("the batch itself is intact");
    let error = batch.check_records().unwrap_err();
    let walked = batch.records().find_map(Result::err).expect("records() reports it too");
    assert_eq!(walked, error, "records() and check_records() must agree");
    error
}

#[test]
fn given_a_hand_made_record_when_read_should_decode_it() {
    let batch = batch_around(1, 0, &record(&body(0, 2, b"vv", &[0])));
    let batch = Batch::new(Bytes::from(batch)).unwrap();
    let record = batch.records().next().unwrap().unwrap();
    assert_eq!(record.key.as_deref(), Some(&b"kk"[..]));
    assert_eq!(record.value.as_deref(), Some(&b"vv"[..]));
    assert!(record.headers.is_empty());
}

#[test]
fn given_a_flipped_record_byte_when_validating_should_report_crc_mismatch() {
    let mut batch = valid_batch();
    let last = batch.len() - 1;
    batch[last] ^= 0x40;
    assert!(matches!(validate(&batch), Err(BatchError::CrcMismatch { .. })));
}

#[test]
fn given_a_cut_batch_when_validating_should_report_truncated_with_sizes() {
    let batch = valid_batch();
    let cut = &batch[..batch.len() - 1];
    assert_eq!(
        validate(cut),
        Err(BatchError::Truncated { have: batch.len() - 1, need: batch.len() })
    );
    assert_eq!(validate(&batch[..10]), Err(BatchError::Truncated { have: 10, need: HEADER_LEN }));
}

#[test]
fn given_magic_one_when_validating_should_report_bad_magic() {
    let mut batch = valid_batch();
    batch[MAGIC] = 1;
    assert_eq!(validate(&batch), Err(BatchError::BadMagic(1)));
}

#[test]
fn given_a_length_above_the_limit_when_validating_should_report_bad_length() {
    let mut batch = valid_batch();
    let length = BATCH_BYTES_MAX as i32;
    batch[BATCH_LENGTH..BATCH_LENGTH + 4].copy_from_slice(&length.to_be_bytes());
    assert_eq!(validate(&batch), Err(BatchError::BadLength(length)));
    batch[BATCH_LENGTH..BATCH_LENGTH + 4].copy_from_slice(&(-5i32).to_be_bytes());
    assert_eq!(validate(&batch), Err(BatchError::BadLength(-5)));
}

#[test]
fn given_a_negative_base_offset_when_validating_should_report_bad_base_offset() {
    let mut batch = valid_batch();
    batch[BASE_OFFSET..BASE_OFFSET + 8].copy_from_slice(&(-7i64).to_be_bytes());
    assert_eq!(validate(&batch), Err(BatchError::BadBaseOffset(-7)));
    batch[BASE_OFFSET..BASE_OFFSET + 8].copy_from_slice(&i64::MAX.to_be_bytes());
    assert_eq!(validate(&batch), Err(BatchError::BadBaseOffset(i64::MAX)));
}

#[test]
fn given_garbage_when_reading_should_report_an_error_not_panic() {
    let garbage: Vec<u8> =
        (0..500u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    assert!(validate(&garbage).is_err());
    assert!(matches!(BatchReader::new(Bytes::from(garbage.clone())).next(), Some(Err(_))));
    assert!(matches!(BatchSlices::new(&garbage).next(), Some(Err(_))));
}

#[test]
fn given_garbage_after_a_good_batch_when_iterating_should_stop_at_its_position() {
    let good = valid_batch();
    let mut buffer = good.clone();
    buffer.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    let mut batches = Batches::new(Bytes::from(buffer));
    assert!(batches.next().unwrap().is_ok());
    assert_eq!(batches.next(), Some(Err(BatchError::Truncated { have: 4, need: HEADER_LEN })));
    assert_eq!(batches.position(), good.len());
    assert_eq!(batches.next(), None, "stops for good after the first error");
}

#[test]
fn given_bytes_after_one_batch_when_taking_it_whole_should_report_trailing_bytes() {
    let mut buffer = valid_batch();
    buffer.push(0);
    assert_eq!(Batch::new(Bytes::from(buffer)), Err(BatchError::TrailingBytes { bytes: 1 }));
}

#[test]
fn given_a_compressed_batch_when_reading_should_report_unsupported_compression() {
    for codec in 1..=4i16 {
        let mut batch = valid_batch();
        batch[ATTRIBUTES..ATTRIBUTES + 2].copy_from_slice(&codec.to_be_bytes());
        seal_crc(&mut batch);
        let bytes = Bytes::from(batch);
        // The framing view moves compressed batches; only the record view refuses them.
        assert!(Batches::new(bytes.clone()).next().unwrap().is_ok());
        assert_eq!(Batch::new(bytes.clone()), Err(BatchError::UnsupportedCompression(codec as u8)));
        assert_eq!(
            BatchReader::new(bytes).next(),
            Some(Err(BatchError::UnsupportedCompression(codec as u8)))
        );
    }
}

#[test]
fn given_a_record_longer_than_the_batch_when_reading_should_report_record_truncated() {
    let body = body(0, 1, b"v", &[0]);
    let batch = batch_around(1, 0, &with_length(body.len() as i32 + 10, &body));
    assert_eq!(first_record_error(batch), BatchError::RecordTruncated { record: 0 });
}

#[test]
fn given_a_cut_length_prefix_when_reading_should_report_record_truncated() {
    let batch = batch_around(1, 0, &[0x80]);
    assert_eq!(first_record_error(batch), BatchError::RecordTruncated { record: 0 });
}

#[test]
fn given_a_negative_record_length_when_reading_should_report_bad_record_length() {
    let batch = batch_around(1, 0, &with_length(-3, &body(0, 1, b"v", &[0])));
    assert_eq!(first_record_error(batch), BatchError::BadRecordLength { record: 0, length: -3 });
}

#[test]
fn given_a_length_longer_than_the_fields_when_reading_should_report_mismatch() {
    let mut fields = body(0, 1, b"v", &[0]);
    let declared = fields.len() as i32 + 2;
    fields.extend_from_slice(&[0, 0]);
    let batch = batch_around(1, 0, &with_length(declared, &fields));
    assert_eq!(first_record_error(batch), BatchError::RecordLengthMismatch { record: 0, declared });
}

#[test]
fn given_a_length_shorter_than_the_fields_when_reading_should_report_mismatch() {
    let fields = body(0, 4, b"value", &[0]);
    let declared = fields.len() as i32 - 3;
    let mut records = with_length(declared, &fields[..declared as usize]);
    records.extend_from_slice(&fields[declared as usize..]);
    let batch = batch_around(1, 0, &records);
    assert_eq!(first_record_error(batch), BatchError::RecordLengthMismatch { record: 0, declared });
}

#[test]
fn given_an_overlong_varint_when_reading_should_report_bad_varint() {
    // Offset delta written in six bytes.
    let mut fields = vec![0u8, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
    fields.extend_from_slice(&[0x01, 0x01, 0x00]);
    let batch = batch_around(1, 0, &record(&fields));
    assert_eq!(
        first_record_error(batch),
        BatchError::BadVarint { record: 0, error: VarintError::Overflow }
    );
}

#[test]
fn given_a_key_length_below_minus_one_when_reading_should_report_bad_field_length() {
    let batch = batch_around(1, 0, &record(&body(0, -2, b"v", &[0])));
    assert_eq!(
        first_record_error(batch),
        BatchError::BadFieldLength { record: 0, field: RecordField::Key, length: -2 }
    );
}

#[test]
fn given_a_negative_header_count_when_reading_should_report_bad_field_length() {
    let batch = batch_around(1, 0, &record(&body(0, 1, b"v", &[0x03])));
    assert_eq!(
        first_record_error(batch),
        BatchError::BadFieldLength { record: 0, field: RecordField::HeaderCount, length: -2 }
    );
}

#[test]
fn given_a_null_header_key_when_reading_should_report_bad_field_length() {
    // One header whose key length is -1 and value is null.
    let batch = batch_around(1, 0, &record(&body(0, 1, b"v", &[0x02, 0x01, 0x01])));
    assert_eq!(
        first_record_error(batch),
        BatchError::BadFieldLength { record: 0, field: RecordField::HeaderKey, length: -1 }
    );
}

#[test]
fn given_a_header_count_beyond_the_bytes_when_reading_should_report_mismatch_quickly() {
    // Claims i32::MAX headers in a tiny record: the walk must stop at the record's end.
    let mut rest = Vec::new();
    encode_varint(i32::MAX, &mut rest);
    let fields = body(0, 1, b"v", &rest);
    let declared = fields.len() as i32;
    let batch = batch_around(1, 0, &record(&fields));
    assert_eq!(first_record_error(batch), BatchError::RecordLengthMismatch { record: 0, declared });
}

#[test]
fn given_fewer_records_than_declared_when_reading_should_report_count_mismatch() {
    let batch = batch_around(2, 1, &record(&body(0, 1, b"v", &[0])));
    assert_eq!(
        first_record_error(batch),
        BatchError::RecordCountMismatch { declared: 2, found: 1 }
    );
}

#[test]
fn given_more_records_than_declared_when_reading_should_report_trailing_bytes() {
    let one = record(&body(0, 1, b"v", &[0]));
    let mut records = one.clone();
    records.extend_from_slice(&record(&body(1, 1, b"v", &[0])));
    let batch = batch_around(1, 0, &records);
    assert_eq!(first_record_error(batch), BatchError::TrailingBytes { bytes: one.len() });
}

#[test]
fn given_repeated_or_out_of_range_offset_deltas_when_reading_should_report_bad_offset_delta() {
    let mut records = record(&body(0, 1, b"v", &[0]));
    records.extend_from_slice(&record(&body(0, 1, b"v", &[0])));
    assert_eq!(
        first_record_error(batch_around(2, 1, &records)),
        BatchError::BadOffsetDelta { record: 1, offset_delta: 0 }
    );
    let beyond = batch_around(1, 0, &record(&body(5, 1, b"v", &[0])));
    assert_eq!(
        first_record_error(beyond),
        BatchError::BadOffsetDelta { record: 0, offset_delta: 5 }
    );
}

#[test]
fn given_a_compacted_gap_in_offset_deltas_when_reading_should_accept_it() {
    // Compaction removes records but keeps the last offset delta, leaving gaps.
    let mut records = record(&body(0, 1, b"v", &[0]));
    records.extend_from_slice(&record(&body(4, 1, b"v", &[0])));
    let batch = Batch::new(Bytes::from(batch_around(2, 6, &records))).unwrap();
    let offsets: Vec<i64> = batch.records().map(|r| r.unwrap().offset).collect();
    assert_eq!(offsets, [0, 4]);
}

#[test]
fn given_an_error_when_iterating_records_should_yield_it_once_then_end() {
    let batch = batch_around(3, 2, &record(&body(0, 1, b"v", &[0])));
    let mut records = Batch::new(Bytes::from(batch)).unwrap().records();
    assert!(records.next().unwrap().is_ok());
    assert!(records.next().unwrap().is_err());
    assert!(records.next().is_none());
    assert!(records.next().is_none());
}
