//! Opening a partition directory: finding the segments, trusting or rebuilding their indexes,
//! validating the tail batch by batch, and cutting at the first torn or corrupt batch.
//!
//! The rules:
//! - A closed segment whose index files are intact and describe exactly the file's length is
//!   trusted without reading its data. Otherwise it is scanned from the start (length, CRC and
//!   offset of every batch) and its indexes rebuilt.
//! - The tail segment is scanned from its last index entry (from the start when that entry does
//!   not point at the batch it names), every batch checked.
//! - Offsets must run on from one segment to the next. At the first segment that ends early
//!   (torn or corrupt data, or a gap) the log ends: the rest of that segment and every later
//!   segment are cut, and what was cut is logged.
//!
//! An acknowledged `always` append was fdatasynced before its acknowledgement, so it lies before
//! any torn write and survives these rules.

use std::path::Path;
use std::rc::Rc;

use crate::config::LogConfig;
use crate::dma_file_io::{
    create_directory_all, ensure_device_probed, list_directory, open_direct, read_whole_file,
    remove_file, sync_directory, write_whole_file,
};
use crate::error::{StorageError, StorageResult};
use crate::index::index_header::decode_index_file;
use crate::index::{IndexFileMeta, IndexKind, OffsetIndex, TimeIndex};
use crate::segment::batch_scan::{scan_batches, ScanStop};
use crate::segment::log_segment::{parse_segment_file_name, prepare_active_file};
use crate::segment::spare_segment::SPARE_SEGMENT_FILE_NAME;
use crate::segment::{segment_file_name, Segment};

/// Opens or creates the log in `dir`; the last returned segment is active. `initial_offset` is
/// the base of the first segment of a new, empty log.
pub async fn recover_segments(
    dir: &Path,
    config: &LogConfig,
    initial_offset: i64,
) -> StorageResult<Vec<Segment>> {
    create_directory_all(dir).await?;
    ensure_device_probed(dir).await?;
    let names = list_directory(dir).await?;
    let mut bases: Vec<i64> = names
        .iter()
        .filter_map(|name| parse_segment_file_name(name))
        .filter(|(_, extension)| *extension == "log")
        .map(|(base, _)| base)
        .collect();
    bases.sort_unstable();
    remove_orphan_indexes(dir, &names, &bases).await?;
    if names.iter().any(|name| name == SPARE_SEGMENT_FILE_NAME) {
        // Made ahead of a roll that a crash or a close got to first; never data.
        remove_file(&dir.join(SPARE_SEGMENT_FILE_NAME)).await?;
    }

    if bases.is_empty() {
        let segment = Segment::create(dir, initial_offset, config).await?;
        sync_directory(dir).await?;
        tracing::info!(dir = %dir.display(), base_offset = initial_offset, "created new log");
        return Ok(vec![segment]);
    }

    let mut segments: Vec<Segment> = Vec::with_capacity(bases.len());
    for (i, &base) in bases.iter().enumerate() {
        let next_base = bases.get(i + 1).copied();
        let (segment, ends_cleanly) = load_segment(dir, base, next_base.is_none(), config).await?;
        let continues = next_base.is_none_or(|next| ends_cleanly && segment.next_offset == next);
        segments.push(segment);
        if !continues {
            let cut = &bases[i + 1..];
            tracing::warn!(
                dir = %dir.display(),
                segment = base,
                log_end_offset = segments[i].next_offset,
                cut_segments = ?cut,
                "log ends early in a closed segment; cutting every later segment"
            );
            for &later in cut {
                for extension in ["log", IndexKind::Offset.extension(), IndexKind::Time.extension()]
                {
                    remove_file(&dir.join(segment_file_name(later, extension))).await?;
                }
            }
            break;
        }
    }

    let tail = segments.last_mut().expect("at least one segment");
    let appender = prepare_active_file(&tail.file, &tail.log_path, tail.log_bytes, config).await?;
    tail.appender = Some(appender);
    tail.preallocated_bytes = config.segment_preallocate_bytes().max(tail.log_bytes);
    // The tail's index files would be stale as soon as it takes appends; they are written
    // again when it is sealed or the log is closed.
    for kind in [IndexKind::Offset, IndexKind::Time] {
        remove_file(&tail.index_path(kind)).await?;
    }
    sync_directory(dir).await?;
    Ok(segments)
}

/// Loads one segment; returns it and whether its data ended cleanly (nothing cut).
async fn load_segment(
    dir: &Path,
    base: i64,
    is_tail: bool,
    config: &LogConfig,
) -> StorageResult<(Segment, bool)> {
    let log_path = dir.join(segment_file_name(base, "log"));
    let file = open_direct(&log_path, false, false).await?;
    let file_len =
        file.file_size().await.map_err(|e| StorageError::from_glommio("sizing", &log_path, e))?;
    let mut segment = Segment::new(base, log_path.clone(), Rc::new(file));
    let loaded = load_indexes(&segment).await;

    let mut scan_from = None;
    match loaded {
        Some((meta, offset_index, time_index)) if !is_tail && meta.log_bytes == file_len => {
            segment.adopt_indexes(&meta, offset_index, time_index);
            return Ok((segment, true));
        }
        Some((_, offset_index, time_index)) if is_tail => {
            if let Some((offset, position)) = offset_index.last() {
                segment.adopt_index_prefix(offset, position, offset_index, time_index);
                scan_from = Some(position);
            }
        }
        _ => {}
    }

    let file = segment.file.clone();
    let interval = config.index_interval_bytes;
    let mut outcome =
        scan_batches(&file, &log_path, segment.log_bytes, segment.next_offset, file_len, |p, h| {
            segment.record_batch(p, h, interval)
        })
        .await?;
    // An index entry names the start of a batch; if no valid batch starts there, the index
    // points past (or into) damaged data and nothing it says can be trusted.
    if scan_from.is_some_and(|from| outcome.end_position == from) {
        tracing::warn!(
            segment = %log_path.display(),
            "last index entry does not point at its batch; rescanning the segment from the start"
        );
        segment.reset_accounting();
        outcome = scan_batches(&file, &log_path, 0, base, file_len, |p, h| {
            segment.record_batch(p, h, interval)
        })
        .await?;
    }
    assert_eq!(outcome.end_position, segment.log_bytes, "scan and accounting agree");
    assert_eq!(outcome.next_offset, segment.next_offset, "scan and accounting agree");

    let clean = outcome.stop == ScanStop::CleanEnd;
    match &outcome.stop {
        ScanStop::CleanEnd => tracing::info!(
            segment = %log_path.display(),
            log_bytes = segment.log_bytes,
            next_offset = segment.next_offset,
            "recovered segment"
        ),
        ScanStop::Torn(reason) | ScanStop::Corrupt(reason) => tracing::warn!(
            segment = %log_path.display(),
            cut_at_position = segment.log_bytes,
            cut_bytes = file_len - segment.log_bytes,
            log_end_offset = segment.next_offset,
            reason = %reason,
            "cutting torn or corrupt data"
        ),
    }
    if !is_tail {
        // A closed segment that needed a scan gets its exact length and fresh indexes back,
        // so the next open trusts it without reading it. If it is about to become the tail
        // (it ended early) the tail preparation cuts and reindexes it instead.
        segment
            .file
            .truncate(segment.log_bytes)
            .await
            .map_err(|e| StorageError::from_glommio("truncating", &log_path, e))?;
        segment
            .file
            .fdatasync()
            .await
            .map_err(|e| StorageError::from_glommio("syncing", &log_path, e))?;
        for (path, bytes) in segment.encoded_indexes() {
            if let Err(e) = write_whole_file(&path, &bytes).await {
                tracing::warn!(index = %path.display(), error = %e, "could not write rebuilt index");
            }
        }
    }
    Ok((segment, clean))
}

/// Both index files of a segment if both are intact and agree; `None` means rebuild.
async fn load_indexes(segment: &Segment) -> Option<(IndexFileMeta, OffsetIndex, TimeIndex)> {
    let offset_path = segment.index_path(IndexKind::Offset);
    let time_path = segment.index_path(IndexKind::Time);
    let offset_bytes = read_index_bytes(&offset_path).await?;
    let time_bytes = read_index_bytes(&time_path).await?;
    let checked = (|| {
        let (meta, entries) =
            decode_index_file(IndexKind::Offset, &offset_bytes, segment.base_offset)?;
        let (time_meta, time_entries) =
            decode_index_file(IndexKind::Time, &time_bytes, segment.base_offset)?;
        if meta != time_meta {
            return Err("offset and time index describe different data".to_string());
        }
        let offset_index = OffsetIndex::decode_entries(meta.base_offset, entries, meta.log_bytes)?;
        let time_index =
            TimeIndex::decode_entries(meta.base_offset, time_entries, meta.next_offset)?;
        Ok((meta, offset_index, time_index))
    })();
    match checked {
        Ok(loaded) => Some(loaded),
        Err(reason) => {
            tracing::warn!(segment = %segment.log_path.display(), reason = %reason, "index unusable; rebuilding");
            None
        }
    }
}

async fn read_index_bytes(path: &Path) -> Option<Vec<u8>> {
    match read_whole_file(path).await {
        Ok(Some(bytes)) => Some(bytes),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(index = %path.display(), error = %e, "index unreadable; rebuilding");
            None
        }
    }
}

async fn remove_orphan_indexes(dir: &Path, names: &[String], bases: &[i64]) -> StorageResult<()> {
    for name in names {
        if let Some((base, extension)) = parse_segment_file_name(name) {
            let is_index = extension == IndexKind::Offset.extension()
                || extension == IndexKind::Time.extension();
            if is_index && bases.binary_search(&base).is_err() {
                tracing::info!(file = %name, "removing index without a segment");
                remove_file(&dir.join(name)).await?;
            }
        }
    }
    Ok(())
}
