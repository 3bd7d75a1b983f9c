//! Corruption tests: flipped bytes, truncated and zero-filled tails of log and index files.
//! Recovery must cut the log at the last good batch, rebuild indexes, and never serve a
//! corrupt batch.

mod common;

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use common::{body_matches, init_tracing, make_batch, run_on_executor, split_batches};
use sluice_storage::{BatchCache, FlushPolicy, LogConfig, PartitionLog, StorageError};

const BATCHES: u64 = 300;

fn config() -> LogConfig {
    LogConfig {
        segment_bytes_max: 16 * 1024,
        flush_policy: FlushPolicy::Always,
        index_interval_bytes: 1024,
        ..LogConfig::default()
    }
}

/// Writes `BATCHES` batches of one record each (offset = seed) and closes the log.
fn build_log(path: &Path) {
    let path = path.to_path_buf();
    run_on_executor(move || async move {
        let log = PartitionLog::open(&path, config(), BatchCache::new(0)).await.unwrap();
        for seed in 0..BATCHES {
            log.append(make_batch(1, 200 + (seed % 400) as usize, seed as i64, seed))
                .await
                .unwrap();
        }
        log.close().await.unwrap();
    });
}

fn files_with_extension(path: &Path, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    files
}

/// Batch positions in a segment file, read with plain std I/O (test side only).
fn batch_positions(file: &Path) -> Vec<(u64, i64)> {
    let bytes = std::fs::read(file).unwrap();
    let mut positions = Vec::new();
    let mut at = 0usize;
    while at + 61 <= bytes.len() {
        match sluice_proto::record_batch::validate(&bytes[at..]) {
            Ok(header) => {
                positions.push((at as u64, header.base_offset));
                at += header.total_len();
            }
            Err(_) => break,
        }
    }
    positions
}

/// Reopens the log and checks that offsets `[0, end)` read back intact and that `end` is the
/// log end.
fn reopen_and_expect_end(path: &Path, end: i64) {
    let path = path.to_path_buf();
    run_on_executor(move || async move {
        let log = PartitionLog::open(&path, config(), BatchCache::new(0)).await.unwrap();
        assert_eq!(log.log_end_offset(), end, "log cut at the last good batch");
        for offset in 0..end.min(BATCHES as i64) {
            let bytes = log.read(offset, 1).await.unwrap();
            assert!(body_matches(split_batches(&bytes)[0], offset as u64), "batch {offset} intact");
        }
        // The log takes appends right after the cut.
        let next = log.append(make_batch(1, 10, 0, 7)).await.unwrap();
        assert_eq!(next.base_offset, end);
        log.close().await.unwrap();
    });
}

fn patch(file: &Path, position: u64, bytes: &[u8]) {
    let mut f = OpenOptions::new().write(true).open(file).unwrap();
    f.seek(SeekFrom::Start(position)).unwrap();
    f.write_all(bytes).unwrap();
    f.sync_all().unwrap();
}

fn tail_segment(path: &Path) -> PathBuf {
    files_with_extension(path, "log").pop().unwrap()
}

/// The tail segment as a crash leaves it: its index files exist only after a clean close.
fn crashed_tail_segment(path: &Path) -> PathBuf {
    let tail = tail_segment(path);
    std::fs::remove_file(tail.with_extension("index")).unwrap();
    std::fs::remove_file(tail.with_extension("timeindex")).unwrap();
    tail
}

#[test]
fn given_flipped_byte_in_tail_batch_when_recovering_should_truncate_to_last_good_batch() {
    init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    build_log(&path);
    let tail = crashed_tail_segment(&path);
    let positions = batch_positions(&tail);
    let (position, offset) = positions[positions.len() - 3];
    patch(&tail, position + 100, &[0xAB]);
    reopen_and_expect_end(&path, offset);
}

#[test]
fn given_truncated_tail_when_recovering_should_cut_the_torn_batch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    build_log(&path);
    let tail = crashed_tail_segment(&path);
    let positions = batch_positions(&tail);
    let (position, offset) = positions[positions.len() - 2];
    OpenOptions::new().write(true).open(&tail).unwrap().set_len(position + 70).unwrap();
    reopen_and_expect_end(&path, offset);
}

#[test]
fn given_zero_filled_tail_when_recovering_should_cut_at_the_zeros() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    build_log(&path);
    let tail = crashed_tail_segment(&path);
    let positions = batch_positions(&tail);
    let (position, offset) = positions[positions.len() - 4];
    let len = std::fs::metadata(&tail).unwrap().len();
    patch(&tail, position, &vec![0u8; (len - position) as usize]);
    reopen_and_expect_end(&path, offset);
}

#[test]
fn given_index_pointing_past_the_valid_data_when_recovering_should_rescan_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    build_log(&path);
    let tail = tail_segment(&path);
    assert!(tail.with_extension("index").exists(), "close writes the tail's index");
    let positions = batch_positions(&tail);
    // Cut well before the last index entry, leaving the index pointing past the data.
    let (position, offset) = positions[1];
    OpenOptions::new().write(true).open(&tail).unwrap().set_len(position + 10).unwrap();
    reopen_and_expect_end(&path, offset);
}

#[test]
fn given_corrupt_missing_or_truncated_indexes_of_closed_segments_when_recovering_should_rebuild_them(
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    build_log(&path);
    let indexes = files_with_extension(&path, "index");
    let time_indexes = files_with_extension(&path, "timeindex");
    assert!(indexes.len() >= 4, "several closed segments");
    patch(&indexes[0], 70, &[0xFF, 0xFF]); // flipped entry bytes
    std::fs::remove_file(&indexes[1]).unwrap(); // missing
    OpenOptions::new().write(true).open(&time_indexes[2]).unwrap().set_len(30).unwrap(); // torn header
    let len = std::fs::metadata(&indexes[3]).unwrap().len();
    patch(&indexes[3], 64, &vec![0u8; (len - 64) as usize]); // zero-filled entries
    reopen_and_expect_end(&path, BATCHES as i64);
    // The rebuilt indexes are back on disk and intact.
    for index in &indexes[..4] {
        let bytes = std::fs::read(index).unwrap();
        assert!(bytes.len() >= 64, "{index:?} rewritten");
    }
    reopen_and_expect_end(&path, BATCHES as i64 + 1);
}

#[test]
fn given_corrupt_batch_in_closed_segment_with_intact_index_when_reading_should_get_a_corrupt_error()
{
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    build_log(&path);
    let first = files_with_extension(&path, "log").remove(0);
    let (position, offset) = batch_positions(&first)[2];
    patch(&first, position + 200, &[0x5A, 0x5A]);
    run_on_executor(move || async move {
        let log = PartitionLog::open(&path, config(), BatchCache::new(0)).await.unwrap();
        // The closed segment's index was intact, so open trusted it without reading it; the
        // read path still checks every batch's CRC before serving it.
        match log.read(offset, 1).await {
            Err(StorageError::Corrupt { .. }) => {}
            other => panic!("expected a corrupt error, got {other:?}"),
        }
        assert!(log.read(offset - 1, 1).await.is_ok());
        log.close().await.unwrap();
    });
}

#[test]
fn given_corrupt_closed_segment_without_index_when_recovering_should_cut_it_and_every_later_segment(
) {
    init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    build_log(&path);
    let logs = files_with_extension(&path, "log");
    let second = &logs[1];
    let (position, offset) = batch_positions(second)[3];
    patch(second, position + 80, &[0x01]);
    std::fs::remove_file(second.with_extension("index")).unwrap();
    reopen_and_expect_end(&path, offset);
    assert_eq!(files_with_extension(&path, "log").len(), 2, "later segments are cut");
}

#[test]
fn given_clean_close_and_corrupt_batch_after_last_index_entry_when_recovering_should_cut_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    build_log(&path);
    let tail = tail_segment(&path);
    let positions = batch_positions(&tail);
    let (position, offset) = positions[positions.len() - 1];
    patch(&tail, position + 100, &[0xCD]);
    reopen_and_expect_end(&path, offset);
}
