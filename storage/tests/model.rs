//! Random sequences of append / read / truncate / roll / retention / flush / close-and-reopen
//! against an in-memory model of the log, under each flush policy.

mod common;

use common::{body_matches, make_batch, run_on_executor, split_batches};
use proptest::prelude::*;
use sluice_storage::{BatchCache, FlushPolicy, LogConfig, PartitionLog};

#[derive(Clone, Debug)]
enum Op {
    Append { records: usize, record_bytes: usize, timestamp: i64 },
    Read { pick: usize, max_bytes: usize },
    Truncate { pick: usize },
    Roll,
    Retention { now: i64 },
    Flush,
    Reopen,
    OffsetForTimestamp { timestamp: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (1usize..4, 1usize..1500, 0i64..10_000)
            .prop_map(|(records, record_bytes, timestamp)| Op::Append { records, record_bytes, timestamp }),
        4 => (any::<usize>(), 1usize..20_000).prop_map(|(pick, max_bytes)| Op::Read { pick, max_bytes }),
        1 => any::<usize>().prop_map(|pick| Op::Truncate { pick }),
        1 => Just(Op::Roll),
        1 => (0i64..20_000).prop_map(|now| Op::Retention { now }),
        1 => Just(Op::Flush),
        1 => Just(Op::Reopen),
        1 => (0i64..11_000).prop_map(|timestamp| Op::OffsetForTimestamp { timestamp }),
    ]
}

fn policy() -> impl Strategy<Value = FlushPolicy> {
    prop_oneof![
        Just(FlushPolicy::Always),
        Just(FlushPolicy::Interval { interval_ms: 2 }),
        Just(FlushPolicy::Never),
    ]
}

#[derive(Clone, Debug)]
struct ModelBatch {
    base: i64,
    last: i64,
    seed: u64,
    max_timestamp: i64,
    len: usize,
}

async fn check_read(log: &PartitionLog, model: &[ModelBatch], from: i64, max_bytes: usize) {
    let bytes = log.read(from, max_bytes).await.expect("in-range read succeeds");
    let end = model.last().map_or(log.log_start_offset(), |b| b.last + 1);
    if from == end {
        assert!(bytes.is_empty());
        return;
    }
    let first = model.iter().position(|b| b.last >= from).expect("from is inside the model");
    let got = split_batches(&bytes);
    assert!(!got.is_empty(), "a read below the end returns at least one batch");
    let mut total = 0;
    for (i, batch) in got.iter().enumerate() {
        let want = &model[first + i];
        assert_eq!(i64::from_be_bytes(batch[..8].try_into().unwrap()), want.base);
        assert!(body_matches(batch, want.seed), "batch {} has its content", want.base);
        total += batch.len();
        assert!(i == 0 || total <= max_bytes, "only the first batch may exceed max_bytes");
    }
}

fn run_case(policy: FlushPolicy, ops: Vec<Op>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    run_on_executor(move || async move {
        let config = LogConfig {
            segment_bytes_max: 16 * 1024,
            segment_age_ms_max: 1 << 40,
            retention_bytes_max: Some(40 * 1024),
            retention_age_ms_max: Some(8_000),
            flush_policy: policy,
            index_interval_bytes: 2048,
            write_behind_bytes: 8192,
            read_ahead_bytes: 8192,
        };
        let cache = BatchCache::new(24 * 1024);
        let mut log = PartitionLog::open(&path, config.clone(), cache.clone()).await.unwrap();
        let mut model: Vec<ModelBatch> = Vec::new();
        let mut next_seed = 0u64;
        for op in ops {
            match op {
                Op::Append { records, record_bytes, timestamp } => {
                    let batch = make_batch(records, record_bytes, timestamp, next_seed);
                    let len = batch.len();
                    let outcome = log.append(batch).await.unwrap();
                    let expected_base = model.last().map_or(log.log_start_offset(), |b| b.last + 1);
                    assert_eq!(outcome.base_offset, expected_base);
                    assert_eq!(outcome.last_offset, expected_base + records as i64 - 1);
                    model.push(ModelBatch {
                        base: outcome.base_offset,
                        last: outcome.last_offset,
                        seed: next_seed,
                        max_timestamp: timestamp,
                        len,
                    });
                    next_seed += 1;
                }
                Op::Read { pick, max_bytes } => {
                    let start = log.log_start_offset();
                    let end = log.log_end_offset();
                    let from = start + (pick as i64).rem_euclid(end - start + 1);
                    check_read(&log, &model, from, max_bytes).await;
                }
                Op::Truncate { pick } => {
                    let start = log.log_start_offset();
                    let end = log.log_end_offset();
                    let offset = start + (pick as i64).rem_euclid(end - start + 1);
                    let new_end = log.truncate_to(offset).await.unwrap();
                    model.retain(|b| b.last < offset);
                    let model_end = model.last().map_or(start, |b| b.last + 1);
                    assert_eq!(new_end, model_end);
                }
                Op::Roll => log.roll().await.unwrap(),
                Op::Retention { now } => {
                    let before = log.log_start_offset();
                    let outcome = log.enforce_retention(now).await.unwrap();
                    assert!(outcome.log_start_offset >= before);
                    assert_eq!(outcome.log_start_offset, log.log_start_offset());
                    model.retain(|b| b.base >= outcome.log_start_offset);
                    if let Some(first) = model.first() {
                        assert_eq!(
                            first.base, outcome.log_start_offset,
                            "retention cuts at batch boundaries"
                        );
                    }
                }
                Op::Flush => {
                    log.flush().await.unwrap();
                    assert_eq!(log.durable_end_offset(), log.log_end_offset());
                }
                Op::Reopen => {
                    log.close().await.unwrap();
                    log = PartitionLog::open(&path, config.clone(), cache.clone()).await.unwrap();
                }
                Op::OffsetForTimestamp { timestamp } => {
                    let want = model.iter().find(|b| b.max_timestamp >= timestamp).map(|b| b.base);
                    assert_eq!(log.offset_for_timestamp(timestamp).await.unwrap(), want);
                }
            }
            let model_end = model.last().map(|b| b.last + 1);
            if let Some(end) = model_end {
                assert_eq!(log.log_end_offset(), end);
                assert_eq!(log.log_start_offset(), model[0].base);
            } else {
                assert_eq!(log.log_start_offset(), log.log_end_offset());
            }
            assert!(log.durable_end_offset() <= log.log_end_offset());
            let size: usize = model.iter().map(|b| b.len).sum();
            assert_eq!(log.size_bytes(), size as u64);
        }
        // Everything still reads back after a final reopen.
        log.close().await.unwrap();
        let log = PartitionLog::open(&path, config, cache).await.unwrap();
        for batch in &model {
            check_read(&log, &model, batch.base, 1).await;
        }
        log.close().await.unwrap();
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn given_random_operations_when_checked_against_a_model_should_agree(
        policy in policy(),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        run_case(policy, ops);
    }
}
