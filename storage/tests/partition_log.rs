//! Behaviour of the partition log on real files: append, read, roll, reopen, flush policies,
//! group commit, truncation, retention, time lookup, and the O_DIRECT promise.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{body_matches, make_batch, run_on_executor, split_batches, wait_until};
use sluice_storage::{BatchCache, FlushPolicy, LogConfig, PartitionLog, StorageError};

fn small_config(policy: FlushPolicy) -> LogConfig {
    LogConfig {
        segment_bytes_max: 64 * 1024,
        flush_policy: policy,
        index_interval_bytes: 1024,
        write_behind_bytes: 8 * 1024,
        read_ahead_bytes: 16 * 1024,
        ..LogConfig::default()
    }
}

fn policies() -> [FlushPolicy; 3] {
    [FlushPolicy::Always, FlushPolicy::Interval { interval_ms: 5 }, FlushPolicy::Never]
}

#[test]
fn given_appends_under_each_policy_when_reading_back_should_get_whole_batches_with_their_offsets() {
    for policy in policies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p0");
        run_on_executor(move || async move {
            let log =
                PartitionLog::open(&path, small_config(policy), BatchCache::new(0)).await.unwrap();
            let mut expected = Vec::new();
            for seed in 0..200u64 {
                let records = 1 + (seed as usize % 5);
                let outcome =
                    log.append(make_batch(records, 100, seed as i64, seed)).await.unwrap();
                assert_eq!(outcome.last_offset - outcome.base_offset + 1, records as i64);
                expected.push((outcome.base_offset, seed));
            }
            assert!(log.segment_count() > 1, "small segments roll");
            if policy == FlushPolicy::Always {
                assert_eq!(log.durable_end_offset(), log.log_end_offset());
            }
            // Read everything back, batch by batch, from every batch's base offset.
            for &(base, seed) in &expected {
                let bytes = log.read(base, 1).await.unwrap();
                let batches = split_batches(&bytes);
                assert_eq!(batches.len(), 1, "max_bytes 1 still gives one whole batch");
                assert_eq!(i64::from_be_bytes(batches[0][..8].try_into().unwrap()), base);
                assert!(body_matches(batches[0], seed));
            }
            log.close().await.unwrap();
        });
    }
}

#[test]
fn given_closed_log_when_reopening_should_find_every_batch_and_continue_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        let config = small_config(FlushPolicy::Never);
        let log =
            PartitionLog::open(&path, config.clone(), BatchCache::new(1 << 20)).await.unwrap();
        for seed in 0..300u64 {
            log.append(make_batch(2, 300, 1000 + seed as i64, seed)).await.unwrap();
        }
        let end = log.log_end_offset();
        log.close().await.unwrap();
        assert!(matches!(log.append(make_batch(1, 1, 0, 0)).await, Err(StorageError::Closed(_))));
        assert!(matches!(log.read(0, 1).await, Err(StorageError::Closed(_))));
        assert_eq!((log.log_start_offset(), log.log_end_offset()), (0, end));

        let log = PartitionLog::open(&path, config, BatchCache::new(1 << 20)).await.unwrap();
        assert_eq!(log.log_end_offset(), end);
        let mut offset = 0;
        let mut seed = 0;
        while offset < end {
            let bytes = log.read(offset, 50_000).await.unwrap();
            for batch in split_batches(&bytes) {
                assert!(body_matches(batch, seed));
                seed += 1;
                offset += 2;
            }
        }
        assert_eq!(seed, 300);
        let next = log.append(make_batch(1, 10, 0, 0)).await.unwrap();
        assert_eq!(next.base_offset, end);
        log.close().await.unwrap();
    });
}

#[test]
fn given_offsets_outside_the_log_when_reading_should_get_typed_errors_or_empty_at_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        let log =
            PartitionLog::open(&path, small_config(FlushPolicy::Always), BatchCache::new(1 << 20))
                .await
                .unwrap();
        log.append(make_batch(3, 10, 0, 1)).await.unwrap();
        assert!(log.read(3, 100).await.unwrap().is_empty());
        assert!(matches!(log.read(4, 100).await, Err(StorageError::OffsetOutOfRange { .. })));
        assert!(matches!(log.read(-1, 100).await, Err(StorageError::OffsetOutOfRange { .. })));
        // An offset inside a batch returns the whole batch.
        assert_eq!(split_batches(&log.read(1, 100).await.unwrap()).len(), 1);
        log.close().await.unwrap();
    });
}

#[test]
fn given_invalid_batches_when_appending_should_refuse_them_with_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        let log = PartitionLog::open(&path, small_config(FlushPolicy::Always), BatchCache::new(0))
            .await
            .unwrap();
        let mut bad_crc = make_batch(1, 10, 0, 1);
        let last = bad_crc.len() - 1;
        bad_crc[last] ^= 0xff;
        assert!(matches!(log.append(bad_crc).await, Err(StorageError::InvalidBatch(_))));
        let mut two = make_batch(1, 10, 0, 1);
        two.extend_from_slice(&make_batch(1, 10, 0, 2));
        assert!(matches!(log.append(two).await, Err(StorageError::TrailingBytes { .. })));
        assert_eq!(log.log_end_offset(), 0);
        log.close().await.unwrap();
    });
}

fn o_direct_on_every_open_log_file() -> usize {
    let mut checked = 0;
    for entry in std::fs::read_dir("/proc/self/fd").unwrap() {
        let entry = entry.unwrap();
        let Ok(target) = std::fs::read_link(entry.path()) else { continue };
        if target.extension().is_some_and(|e| e == "log")
            && target.to_string_lossy().contains("odirect")
        {
            let fd = entry.file_name();
            let info =
                std::fs::read_to_string(PathBuf::from("/proc/self/fdinfo").join(&fd)).unwrap();
            let flags_line = info.lines().find(|l| l.starts_with("flags:")).unwrap();
            let flags =
                u32::from_str_radix(flags_line.split_whitespace().nth(1).unwrap(), 8).unwrap();
            assert_ne!(
                flags & libc::O_DIRECT as u32,
                0,
                "{target:?} is open without O_DIRECT: {flags_line}"
            );
            checked += 1;
        }
    }
    checked
}

#[test]
fn given_open_log_when_inspecting_fdinfo_should_see_o_direct_on_every_log_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odirect");
    run_on_executor(move || async move {
        let log = PartitionLog::open(&path, small_config(FlushPolicy::Always), BatchCache::new(0))
            .await
            .unwrap();
        for seed in 0..100 {
            log.append(make_batch(4, 500, 0, seed)).await.unwrap();
        }
        assert!(log.segment_count() >= 3);
        let checked = o_direct_on_every_open_log_file();
        assert!(checked >= log.segment_count(), "checked {checked} files");
        log.close().await.unwrap();
    });
}

#[test]
fn given_eight_concurrent_appenders_under_always_when_appending_should_share_fdatasyncs_and_lose_nothing(
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        let log =
            PartitionLog::open(&path, small_config(FlushPolicy::Always), BatchCache::new(1 << 20))
                .await
                .unwrap();
        let mut tasks = Vec::new();
        for appender in 0..8u64 {
            let log = log.clone();
            tasks.push(glommio::spawn_local(async move {
                let mut offsets = Vec::new();
                for i in 0..50u64 {
                    let seed = appender * 1000 + i;
                    let outcome = log.append(make_batch(1, 200, 0, seed)).await.unwrap();
                    assert!(log.durable_end_offset() > outcome.last_offset, "acked means durable");
                    offsets.push((outcome.base_offset, seed));
                }
                offsets
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await);
        }
        all.sort();
        assert_eq!(all.len(), 400);
        let stats = log.stats();
        assert_eq!(stats.appends, 400);
        println!("group commit stats: {stats:?}");
        assert!(stats.fdatasyncs * 2 <= stats.appends, "appends shared fdatasyncs: {stats:?}");
        for (i, (offset, seed)) in all.iter().enumerate() {
            assert_eq!(*offset, i as i64);
            let bytes = log.read(*offset, 1).await.unwrap();
            assert!(body_matches(&bytes, *seed));
        }
        log.close().await.unwrap();
    });
}

#[test]
fn given_truncation_when_appending_again_should_continue_from_the_cut_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        let config = small_config(FlushPolicy::Always);
        let log =
            PartitionLog::open(&path, config.clone(), BatchCache::new(1 << 20)).await.unwrap();
        for seed in 0..100u64 {
            log.append(make_batch(2, 1000, 0, seed)).await.unwrap();
        }
        let segments_before = log.segment_count();
        // Offset 51 sits inside the batch [50, 51]: the whole batch goes.
        assert_eq!(log.truncate_to(51).await.unwrap(), 50);
        assert!(log.segment_count() < segments_before);
        assert_eq!(log.log_end_offset(), 50);
        assert!(matches!(log.read(52, 10).await, Err(StorageError::OffsetOutOfRange { .. })));
        let outcome = log.append(make_batch(1, 10, 0, 999)).await.unwrap();
        assert_eq!(outcome.base_offset, 50);
        log.close().await.unwrap();
        let log = PartitionLog::open(&path, config, BatchCache::new(1 << 20)).await.unwrap();
        assert_eq!(log.log_end_offset(), 51);
        assert!(body_matches(&log.read(50, 10).await.unwrap(), 999));
        assert!(body_matches(&log.read(48, 10).await.unwrap(), 24));
        log.close().await.unwrap();
    });
}

#[test]
fn given_retention_limits_when_enforcing_should_delete_whole_closed_segments_and_move_log_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        let config = LogConfig {
            retention_bytes_max: Some(150 * 1024),
            retention_age_ms_max: None,
            ..small_config(FlushPolicy::Never)
        };
        let log = PartitionLog::open(&path, config, BatchCache::new(1 << 20)).await.unwrap();
        for seed in 0..400u64 {
            log.append(make_batch(1, 1000, seed as i64, seed)).await.unwrap();
        }
        let size_before = log.size_bytes();
        let outcome = log.enforce_retention(0).await.unwrap();
        assert!(outcome.segments_deleted > 0);
        assert!(log.size_bytes() >= 150 * 1024 && log.size_bytes() < size_before);
        assert_eq!(log.log_start_offset(), outcome.log_start_offset);
        assert!(matches!(log.read(0, 10).await, Err(StorageError::OffsetOutOfRange { .. })));
        let start = log.log_start_offset();
        assert!(body_matches(split_batches(&log.read(start, 1).await.unwrap())[0], start as u64));
        // Age: everything but the active segment is older than 10 ms at t = 10_000.
        let log_config_age = LogConfig { retention_age_ms_max: Some(10), ..log.config().clone() };
        log.close().await.unwrap();
        let log =
            PartitionLog::open(&path, log_config_age, BatchCache::new(1 << 20)).await.unwrap();
        log.enforce_retention(10_000).await.unwrap();
        assert_eq!(log.segment_count(), 1);
        log.close().await.unwrap();
    });
}

#[test]
fn given_timestamps_when_looking_up_offset_for_timestamp_should_find_first_batch_at_or_after() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        let log = PartitionLog::open(&path, small_config(FlushPolicy::Always), BatchCache::new(0))
            .await
            .unwrap();
        for i in 0..200i64 {
            // Batch i has max timestamp 1000 + 10 i and offsets [3i, 3i + 2].
            log.append(make_batch(3, 200, 1000 + 10 * i, i as u64)).await.unwrap();
        }
        assert_eq!(log.offset_for_timestamp(0).await.unwrap(), Some(0));
        assert_eq!(log.offset_for_timestamp(1000).await.unwrap(), Some(0));
        assert_eq!(log.offset_for_timestamp(1001).await.unwrap(), Some(3));
        assert_eq!(log.offset_for_timestamp(1000 + 10 * 150).await.unwrap(), Some(450));
        assert_eq!(log.offset_for_timestamp(1000 + 10 * 199 + 1).await.unwrap(), None);
        log.close().await.unwrap();
    });
}

#[test]
fn given_segment_age_when_batch_timestamps_pass_it_should_roll() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        let config = LogConfig { segment_age_ms_max: 100, ..small_config(FlushPolicy::Never) };
        let log = PartitionLog::open(&path, config, BatchCache::new(0)).await.unwrap();
        for i in 0..10i64 {
            log.append(make_batch(1, 10, i * 50, i as u64)).await.unwrap();
        }
        assert_eq!(log.segment_count(), 5);
        log.close().await.unwrap();
    });
}

#[test]
fn given_interval_policy_when_waiting_should_become_durable_without_further_appends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        let log = PartitionLog::open(
            &path,
            small_config(FlushPolicy::Interval { interval_ms: 5 }),
            BatchCache::new(0),
        )
        .await
        .unwrap();
        log.append(make_batch(1, 10, 0, 0)).await.unwrap();
        wait_until("an interval flush", Duration::from_secs(5), || log.durable_end_offset() >= 1)
            .await;
        log.close().await.unwrap();
    });
}

fn file_reads_so_far() -> u64 {
    let stats = glommio::executor().io_stats();
    stats.main_ring.file_reads().0
        + stats.latency_ring.file_reads().0
        + stats.poll_ring.file_reads().0
}

#[test]
fn given_tailing_consumer_when_reading_each_batch_after_append_should_never_touch_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        for policy in policies() {
            let log_path = path.join(policy.to_string());
            let log =
                PartitionLog::open(&log_path, small_config(policy), BatchCache::new(64 * 1024))
                    .await
                    .unwrap();
            let reads_before = file_reads_so_far();
            let mut next = 0;
            for seed in 0..300u64 {
                log.append(make_batch(2, 300, 0, seed)).await.unwrap();
                let bytes = log.read(next, 64 * 1024).await.unwrap();
                let batches = split_batches(&bytes);
                assert_eq!(batches.len(), 1);
                assert!(body_matches(batches[0], seed));
                next += 2;
            }
            assert!(log.segment_count() > 1);
            assert_eq!(file_reads_so_far(), reads_before, "tail reads come from the cache");
            // A catch-up read from the start does go to disk, and gets the same bytes.
            let bytes = log.read(0, 1).await.unwrap();
            assert!(body_matches(&bytes, 0));
            assert!(file_reads_so_far() > reads_before);
            log.close().await.unwrap();
        }
    });
}

#[test]
fn given_a_write_in_flight_when_reading_its_bytes_should_wait_for_it_and_return_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        let config = LogConfig { write_behind_bytes: 4096, ..small_config(FlushPolicy::Never) };
        // No cache: every read goes to the appender or the disk.
        let log = PartitionLog::open(&path, config, BatchCache::new(0)).await.unwrap();
        let mut waited = false;
        // Bounded: each round appends one batch; the write-behind starts on the first.
        for seed in 0..64u64 {
            let outcome = log.append(make_batch(8, 1000, seed as i64, seed)).await.unwrap();
            // Let the write-behind task take the buffer and start its write, then read the
            // batch it carries.
            futures_lite::future::yield_now().await;
            let bytes = log.read(outcome.base_offset, 1).await.unwrap();
            let batches = split_batches(&bytes);
            assert_eq!(
                i64::from_be_bytes(batches[0][..8].try_into().unwrap()),
                outcome.base_offset
            );
            assert!(body_matches(batches[0], seed), "batch {seed} reads back intact");
            if log.stats().reads_waiting_for_writes > 0 {
                waited = true;
                break;
            }
        }
        assert!(waited, "some read found its bytes in a write in flight");
        log.close().await.unwrap();
    });
}

/// Copies a partition directory as it is on disk right now: what a crash at this instant
/// would leave behind (the test's log writes only with O_DIRECT, so the files are the disk).
fn copy_dir_now(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn given_roll_whose_seal_has_not_run_when_crashing_should_recover_every_batch_of_the_sealed_segment(
) {
    let dir = tempfile::tempdir().unwrap();
    let (path, crashed) = (dir.path().join("p0"), dir.path().join("crashed"));
    run_on_executor(move || async move {
        let config = small_config(FlushPolicy::Never);
        let log = PartitionLog::open(&path, config.clone(), BatchCache::new(0)).await.unwrap();
        for seed in 0..20u64 {
            log.append(make_batch(2, 100, seed as i64, seed)).await.unwrap();
        }
        log.roll().await.unwrap();
        // No await since the roll: its background seal has not run, so the sealed file still
        // carries its zero-filled preallocation and has no index files.
        let sealed = path.join("00000000000000000000.log");
        assert_eq!(
            std::fs::metadata(&sealed).unwrap().len(),
            config.segment_preallocate_bytes(),
            "the seal is left to a background task"
        );
        copy_dir_now(&path, &crashed);

        let recovered = PartitionLog::open(&crashed, config, BatchCache::new(0)).await.unwrap();
        assert_eq!(recovered.log_end_offset(), 40);
        for seed in 0..20u64 {
            let base = seed as i64 * 2;
            let bytes = recovered.read(base, 1).await.unwrap();
            let batches = split_batches(&bytes);
            assert_eq!(i64::from_be_bytes(batches[0][..8].try_into().unwrap()), base);
            assert!(body_matches(batches[0], seed));
        }
        recovered.close().await.unwrap();
        log.close().await.unwrap();
    });
}

#[test]
fn given_roll_when_its_seal_runs_should_cut_the_sealed_file_to_its_data_and_index_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        let config = small_config(FlushPolicy::Never);
        let log = PartitionLog::open(&path, config, BatchCache::new(0)).await.unwrap();
        for seed in 0..20u64 {
            log.append(make_batch(2, 100, seed as i64, seed)).await.unwrap();
        }
        log.roll().await.unwrap();
        let sealed = path.join("00000000000000000000.log");
        let index = path.join("00000000000000000000.index");
        wait_until("the seal", Duration::from_secs(5), || index.exists()).await;
        let data_bytes = split_batches(&log.read(0, 1 << 20).await.unwrap())
            .iter()
            .map(|b| b.len() as u64)
            .sum::<u64>();
        assert_eq!(std::fs::metadata(&sealed).unwrap().len(), data_bytes);
        log.close().await.unwrap();
    });
}

#[test]
fn given_quarter_full_active_segment_when_rolling_should_rename_the_spare_made_ahead_and_keep_every_batch(
) {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        let config = small_config(FlushPolicy::Never);
        let log = PartitionLog::open(&path, config.clone(), BatchCache::new(0)).await.unwrap();
        let spare = path.join("next-segment.tmp");
        // 2 records of 100 bytes are over 250 bytes a batch: 100 fill more than a quarter of
        // 64 KiB.
        let seed = 100u64;
        for batch in 0..seed {
            log.append(make_batch(2, 100, batch as i64, batch)).await.unwrap();
        }
        wait_until("a spare segment once a quarter full", Duration::from_secs(5), || {
            log.stats().spare_segments_made > 0
        })
        .await;
        assert_eq!(std::fs::metadata(&spare).unwrap().len(), config.segment_preallocate_bytes());
        let spare_inode = std::fs::metadata(&spare).unwrap().ino();
        assert_eq!(log.segment_count(), 1, "not rolled yet");

        log.roll().await.unwrap();
        assert_eq!(log.stats().rolls_from_spare, 1);
        let next = path.join(format!("{:020}.log", seed * 2));
        assert_eq!(std::fs::metadata(&next).unwrap().ino(), spare_inode, "the roll renamed it");
        assert!(!spare.exists(), "the spare became the segment");
        for more in seed..seed + 10 {
            log.append(make_batch(2, 100, more as i64, more)).await.unwrap();
        }
        log.close().await.unwrap();

        let reopened = PartitionLog::open(&path, config, BatchCache::new(0)).await.unwrap();
        assert_eq!(reopened.log_end_offset(), (seed as i64 + 10) * 2);
        for batch in 0..seed + 10 {
            let base = batch as i64 * 2;
            let bytes = reopened.read(base, 1).await.unwrap();
            assert!(body_matches(split_batches(&bytes)[0], batch));
        }
        reopened.close().await.unwrap();
    });
}

#[test]
fn given_spare_segment_left_by_a_crash_when_opening_should_remove_it_and_keep_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        let config = small_config(FlushPolicy::Never);
        let log = PartitionLog::open(&path, config.clone(), BatchCache::new(0)).await.unwrap();
        for seed in 0..10u64 {
            log.append(make_batch(2, 100, seed as i64, seed)).await.unwrap();
        }
        log.close().await.unwrap();
        let spare = path.join("next-segment.tmp");
        assert!(!spare.exists(), "close removes the spare");
        // What a crash between making the spare and the roll leaves behind.
        std::fs::write(&spare, vec![0u8; 8192]).unwrap();

        let reopened = PartitionLog::open(&path, config, BatchCache::new(0)).await.unwrap();
        assert!(!spare.exists(), "recovery removes the spare");
        assert_eq!(reopened.log_end_offset(), 20);
        assert_eq!(reopened.segment_count(), 1, "the spare is never taken for a segment");
        reopened.close().await.unwrap();
    });
}

/// 8 MiB segments: a spare is zero-filled in 1 MiB writes, paced to the appends.
fn paced_spare_config() -> LogConfig {
    LogConfig {
        segment_bytes_max: 8 << 20,
        write_behind_bytes: 1 << 20,
        ..small_config(FlushPolicy::Never)
    }
}

/// Opens a log at `path` with [`paced_spare_config`] and appends 40 batches of 64 KiB (seeds
/// 0..40, 16 records each): 2.5 MiB, past a quarter of a segment. Returns once the spare file
/// exists, still being zero-filled (its pace waits for appends that do not come), with its path.
async fn log_with_spare_being_made(path: &Path) -> (PartitionLog, PathBuf) {
    let log = PartitionLog::open(path, paced_spare_config(), BatchCache::new(0)).await.unwrap();
    let spare = path.join("next-segment.tmp");
    for seed in 0..40u64 {
        log.append(make_batch(16, 4096, seed as i64, seed)).await.unwrap();
    }
    wait_until("a spare once a quarter full", Duration::from_secs(5), || spare.exists()).await;
    assert_eq!(log.stats().spare_segments_made, 0, "the spare is still being made");
    (log, spare)
}

#[test]
fn given_spare_segment_being_zero_filled_when_rolling_early_should_finish_it_for_the_next_roll() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        let (log, _spare) = log_with_spare_being_made(&path).await;

        // A roll before the segment is full (as by age): the new segment starts empty, so the
        // pace would hold the zero-fill until it grew past 2 MiB. The roll releases it instead.
        log.roll().await.unwrap();
        assert_eq!(log.stats().rolls_from_spare, 0, "the spare was not ready");
        wait_until("the released spare finished", Duration::from_secs(20), || {
            log.stats().spare_segments_made > 0
        })
        .await;
        log.append(make_batch(16, 4096, 40, 40)).await.unwrap();
        log.roll().await.unwrap();
        assert_eq!(log.stats().rolls_from_spare, 1, "the next roll took the finished spare");
        log.close().await.unwrap();
        let reopened =
            PartitionLog::open(&path, paced_spare_config(), BatchCache::new(0)).await.unwrap();
        assert_eq!(reopened.log_end_offset(), 41 * 16);
        reopened.close().await.unwrap();
    });
}

#[test]
fn given_spare_segment_being_zero_filled_when_the_log_is_dropped_unclosed_should_remove_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        let (log, spare) = log_with_spare_being_made(&path).await;
        // The spare's task waits for appends that will not come; the log's drop releases it,
        // and it finds the log gone.
        drop(log);
        wait_until("the spare removed after its log", Duration::from_secs(5), || !spare.exists())
            .await;
    });
}

#[test]
fn given_spare_segment_being_zero_filled_when_closing_should_remove_it_before_close_returns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        let (log, spare) = log_with_spare_being_made(&path).await;
        log.close().await.unwrap();
        assert!(!spare.exists(), "close waits for the spare's task, which removes it");
        // What deleting the topic does next: nothing may appear in the directory meanwhile.
        std::fs::remove_dir_all(&path).unwrap();
        assert!(!path.exists());
    });
}

#[test]
fn given_a_latency_sink_when_appending_under_always_should_report_each_write_and_fdatasync() {
    use sluice_storage::DiskOp;
    use std::cell::RefCell;
    use std::rc::Rc;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        let seen: Rc<RefCell<Vec<(DiskOp, std::time::Duration)>>> = Rc::default();
        let sink = {
            let seen = seen.clone();
            Rc::new(move |op, latency| seen.borrow_mut().push((op, latency)))
        };
        let config = small_config(FlushPolicy::Always);
        let log = PartitionLog::open_reporting(&path, config, BatchCache::new(0), Some(sink))
            .await
            .unwrap();
        for seed in 0..5u64 {
            log.append(make_batch(2, 100, seed as i64, seed)).await.unwrap();
        }
        let stats = log.stats();
        let count = |op| seen.borrow().iter().filter(|(o, _)| *o == op).count() as u64;
        assert_eq!(count(DiskOp::Write), stats.writes, "one report per log write");
        assert_eq!(count(DiskOp::Fdatasync), stats.fdatasyncs, "one report per fdatasync");
        assert!(stats.fdatasyncs >= 1 && stats.writes >= 1);
        assert!(seen.borrow().iter().all(|(_, latency)| *latency > std::time::Duration::ZERO));
        log.close().await.unwrap();
    });
}

#[test]
fn given_concurrent_appenders_and_a_reader_under_never_across_rolls_should_lose_nothing_and_reopen_whole(
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p0");
    run_on_executor(move || async move {
        let config = small_config(FlushPolicy::Never);
        let log = PartitionLog::open(&path, config.clone(), BatchCache::new(0)).await.unwrap();
        let mut tasks = Vec::new();
        for appender in 0..8u64 {
            let log = log.clone();
            tasks.push(glommio::spawn_local(async move {
                let mut offsets = Vec::new();
                for i in 0..100u64 {
                    let seed = appender * 1000 + i;
                    let outcome = log.append(make_batch(2, 300, 0, seed)).await.unwrap();
                    offsets.push((outcome.base_offset, seed));
                }
                offsets
            }));
        }
        // A reader follows the log end while segments roll under it: the bytes a roll has
        // not written yet are read from the sealing segment's buffer.
        let reader = {
            let log = log.clone();
            glommio::spawn_local(async move {
                let (mut next, mut batches) = (0i64, 0usize);
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
                while next < 1600 {
                    assert!(std::time::Instant::now() < deadline, "the reader fell behind");
                    let bytes = log.read(next, 1 << 16).await.unwrap();
                    for batch in split_batches(&bytes) {
                        assert_eq!(i64::from_be_bytes(batch[..8].try_into().unwrap()), next);
                        next += 2;
                        batches += 1;
                    }
                    if bytes.is_empty() {
                        glommio::timer::sleep(std::time::Duration::from_micros(200)).await;
                    }
                }
                batches
            })
        };
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await);
        }
        assert_eq!(reader.await, 800, "the reader saw every batch once, in order");
        assert!(log.segment_count() > 5, "the log rolled many times");
        all.sort();
        log.close().await.unwrap();

        let reopened = PartitionLog::open(&path, config, BatchCache::new(0)).await.unwrap();
        assert_eq!(reopened.log_end_offset(), 1600);
        for (i, (offset, seed)) in all.iter().enumerate() {
            assert_eq!(*offset, 2 * i as i64, "offsets run on without a gap");
            let bytes = reopened.read(*offset, 1).await.unwrap();
            assert!(body_matches(split_batches(&bytes)[0], *seed));
        }
        reopened.close().await.unwrap();
    });
}
