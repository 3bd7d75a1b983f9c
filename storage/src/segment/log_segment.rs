//! A segment's in-memory state: its file, offsets, timestamps and indexes, and for the active
//! segment the [`DmaAppender`] holding its unwritten tail.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use bytes::Bytes;
use glommio::io::DmaFile;
use sluice_proto::record_batch::BatchHeader;

use super::batch_scan::read_chunk;
use super::dma_appender::DmaAppender;
use super::spare_segment::{create_preallocated, discard, SPARE_SEGMENT_FILE_NAME};
use crate::config::{LogConfig, DMA_BLOCK_BYTES};
use crate::dma_file_io::remove_file;
use crate::error::{StorageError, StorageResult};
use crate::index::index_header::encode_index_file;
use crate::index::{IndexFileMeta, IndexKind, OffsetIndex, TimeIndex};

/// The name of a segment file: the base offset in 20 digits, then the extension.
pub fn segment_file_name(base_offset: i64, extension: &str) -> String {
    assert!(base_offset >= 0, "offsets are never negative");
    format!("{base_offset:020}.{extension}")
}

/// Parses a segment file name into its base offset and extension.
pub fn parse_segment_file_name(name: &str) -> Option<(i64, &str)> {
    let (stem, extension) = name.split_once('.')?;
    if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((stem.parse().ok()?, extension))
}

/// One segment of a partition log.
pub struct Segment {
    /// Offset of the first batch the segment holds or will hold.
    pub base_offset: i64,
    /// The `.log` file's path.
    pub log_path: PathBuf,
    /// The open `.log` file (direct I/O). Shared so reads can await without borrowing the log.
    pub file: Rc<DmaFile>,
    /// Offset after the last batch.
    pub next_offset: i64,
    /// Length of the batch data.
    pub log_bytes: u64,
    /// Max timestamp of the first batch, which segment age is measured from.
    pub first_timestamp: Option<i64>,
    /// Largest batch max timestamp, -1 when empty.
    pub max_timestamp: i64,
    /// Sparse offset index.
    pub offset_index: OffsetIndex,
    /// Sparse time index.
    pub time_index: TimeIndex,
    bytes_since_index: u64,
    /// The unwritten tail; `Some` only for the active segment.
    pub appender: Option<DmaAppender>,
    /// File space reserved for the active segment's data.
    pub preallocated_bytes: u64,
    /// The last chunk read from disk, kept so sequential readers are served from memory.
    pub read_ahead: Option<(u64, Bytes)>,
}

impl Segment {
    /// A segment over an open file with no batches indexed yet.
    pub fn new(base_offset: i64, log_path: PathBuf, file: Rc<DmaFile>) -> Segment {
        Segment {
            base_offset,
            log_path,
            file,
            next_offset: base_offset,
            log_bytes: 0,
            first_timestamp: None,
            max_timestamp: -1,
            offset_index: OffsetIndex::new(base_offset),
            time_index: TimeIndex::new(base_offset),
            bytes_since_index: 0,
            appender: None,
            preallocated_bytes: 0,
            read_ahead: None,
        }
    }

    /// Creates a new, empty, preallocated active segment. A full disk shows up here as
    /// [`StorageError::DiskFull`], and the half-made file is removed.
    pub async fn create(
        dir: &Path,
        base_offset: i64,
        config: &LogConfig,
    ) -> StorageResult<Segment> {
        let log_path = dir.join(segment_file_name(base_offset, "log"));
        let file = create_preallocated(&log_path, config.segment_preallocate_bytes()).await?;
        Segment::from_new_file(dir, base_offset, log_path, file, config).await
    }

    /// Makes the spare file (see [`super::spare_segment`]) the new active segment at
    /// `base_offset` by renaming it. On failure the spare is removed and nothing else changed.
    pub async fn from_spare(
        dir: &Path,
        base_offset: i64,
        spare: DmaFile,
        config: &LogConfig,
    ) -> StorageResult<Segment> {
        let spare_path = dir.join(SPARE_SEGMENT_FILE_NAME);
        let log_path = dir.join(segment_file_name(base_offset, "log"));
        if let Err(e) = spare.rename(&log_path).await {
            let err = StorageError::from_glommio("renaming", &spare_path, e);
            discard(spare, &spare_path).await;
            return Err(err);
        }
        Segment::from_new_file(dir, base_offset, log_path, spare, config).await
    }

    /// An empty active segment over a freshly created, preallocated file already at its
    /// segment name; stale indexes of an earlier segment with the same base are removed.
    async fn from_new_file(
        dir: &Path,
        base_offset: i64,
        log_path: PathBuf,
        file: DmaFile,
        config: &LogConfig,
    ) -> StorageResult<Segment> {
        for kind in [IndexKind::Offset, IndexKind::Time] {
            remove_file(&dir.join(segment_file_name(base_offset, kind.extension()))).await?;
        }
        let mut segment = Segment::new(base_offset, log_path, Rc::new(file));
        segment.appender = Some(DmaAppender::new(&segment.file, 0, &[], config.write_behind_bytes));
        segment.preallocated_bytes = config.segment_preallocate_bytes();
        Ok(segment)
    }

    /// Whether this is the active (appendable) segment.
    pub fn is_active(&self) -> bool {
        self.appender.is_some()
    }

    /// Whether the segment holds no batch.
    pub fn is_empty(&self) -> bool {
        self.next_offset == self.base_offset
    }

    /// Appends a validated, offset-stamped batch to the active segment's memory.
    pub fn append(&mut self, batch: &[u8], header: &BatchHeader, index_interval_bytes: u64) {
        assert_eq!(header.base_offset, self.next_offset, "batches are appended in offset order");
        let appender = self.appender.as_mut().expect("appends go to the active segment");
        assert_eq!(appender.end(), self.log_bytes, "appender and segment agree on the end");
        appender.push(&self.file, batch);
        let position = self.log_bytes;
        self.record_batch(position, header, index_interval_bytes);
    }

    /// Accounts for the batch at `position`: offsets, size, timestamps, index entries.
    pub fn record_batch(&mut self, position: u64, header: &BatchHeader, index_interval_bytes: u64) {
        assert_eq!(position, self.log_bytes, "batches are contiguous");
        assert!(header.base_offset >= self.next_offset, "offsets are monotonic");
        if self.bytes_since_index >= index_interval_bytes {
            self.offset_index.push(header.base_offset, position);
            self.bytes_since_index = 0;
        }
        self.time_index.push_if_newer(header.max_timestamp, header.base_offset);
        self.first_timestamp.get_or_insert(header.max_timestamp);
        self.max_timestamp = self.max_timestamp.max(header.max_timestamp);
        self.bytes_since_index += header.total_len() as u64;
        self.log_bytes += header.total_len() as u64;
        self.next_offset = header.last_offset() + 1;
    }

    /// Resets the accounting to "empty" so a scan can rebuild it.
    pub fn reset_accounting(&mut self) {
        let (base, path, file) = (self.base_offset, self.log_path.clone(), self.file.clone());
        let preallocated_bytes = self.preallocated_bytes;
        *self = Segment::new(base, path, file);
        self.preallocated_bytes = preallocated_bytes;
    }

    /// Cuts the accounting back to the batch boundary at `position` / `offset`. The time
    /// index records every new maximum, so its last surviving entry is the new maximum.
    pub fn truncate_accounting(&mut self, position: u64, offset: i64) {
        self.offset_index.truncate_from(offset);
        self.time_index.truncate_from(offset);
        self.log_bytes = position;
        self.next_offset = offset;
        self.max_timestamp = self.time_index.max_timestamp().unwrap_or(-1);
        if position == 0 {
            self.first_timestamp = None;
        }
        self.bytes_since_index = match self.offset_index.last() {
            Some((_, indexed)) => position - indexed,
            None => position,
        };
        self.read_ahead = None;
    }

    /// Path of one of the segment's index files.
    pub fn index_path(&self, kind: IndexKind) -> PathBuf {
        self.log_path.with_file_name(segment_file_name(self.base_offset, kind.extension()))
    }

    /// Both index files as they should be written now.
    pub fn encoded_indexes(&self) -> [(PathBuf, Vec<u8>); 2] {
        let meta = IndexFileMeta {
            base_offset: self.base_offset,
            next_offset: self.next_offset,
            max_timestamp: self.max_timestamp,
            log_bytes: self.log_bytes,
        };
        [
            (
                self.index_path(IndexKind::Offset),
                encode_index_file(IndexKind::Offset, &meta, &self.offset_index.encode_entries()),
            ),
            (
                self.index_path(IndexKind::Time),
                encode_index_file(IndexKind::Time, &meta, &self.time_index.encode_entries()),
            ),
        ]
    }

    /// Adopts indexes loaded from disk for a segment whose data they describe.
    pub fn adopt_indexes(
        &mut self,
        meta: &IndexFileMeta,
        offset_index: OffsetIndex,
        time_index: TimeIndex,
    ) {
        self.next_offset = meta.next_offset;
        self.log_bytes = meta.log_bytes;
        self.max_timestamp = meta.max_timestamp;
        self.first_timestamp = time_index.first_timestamp();
        self.bytes_since_index = match offset_index.last() {
            Some((_, indexed)) => meta.log_bytes - indexed,
            None => meta.log_bytes,
        };
        self.offset_index = offset_index;
        self.time_index = time_index;
    }

    /// Adopts the part of loaded indexes below `(offset, position)`, from which a scan will
    /// continue. Every entry at or after the point is dropped, to be rebuilt by the scan.
    pub fn adopt_index_prefix(
        &mut self,
        offset: i64,
        position: u64,
        mut offset_index: OffsetIndex,
        mut time_index: TimeIndex,
    ) {
        offset_index.truncate_from(offset);
        time_index.truncate_from(offset);
        self.offset_index = offset_index;
        self.time_index = time_index;
        self.next_offset = offset;
        self.log_bytes = position;
        self.max_timestamp = self.time_index.max_timestamp().unwrap_or(-1);
        self.first_timestamp = self.time_index.first_timestamp();
        // The batch at `position` gets an entry again when the scan reaches it.
        self.bytes_since_index = u64::MAX / 2;
    }
}

/// Makes an open segment file ready to take appends at `log_bytes`: cuts anything after the
/// data, preallocates again (zeros after the data), syncs that, and reads back the partial
/// tail block the appender must rewrite.
pub async fn prepare_active_file(
    file: &DmaFile,
    path: &Path,
    log_bytes: u64,
    config: &LogConfig,
) -> StorageResult<DmaAppender> {
    let preallocate_bytes = config.segment_preallocate_bytes();
    file.truncate(log_bytes)
        .await
        .map_err(|e| StorageError::from_glommio("truncating", path, e))?;
    file.pre_allocate(preallocate_bytes.max(log_bytes), false)
        .await
        .map_err(|e| StorageError::from_glommio("preallocating", path, e))?;
    file.fdatasync().await.map_err(|e| StorageError::from_glommio("syncing", path, e))?;
    let block_start = log_bytes - log_bytes % DMA_BLOCK_BYTES;
    let tail =
        read_chunk(file, path, block_start, (log_bytes - block_start) as usize, log_bytes).await?;
    if tail.len() as u64 != log_bytes - block_start {
        return Err(StorageError::Corrupt {
            path: path.to_path_buf(),
            position: block_start,
            reason: "tail block shorter than the file claims".into(),
        });
    }
    Ok(DmaAppender::new(file, log_bytes, &tail, config.write_behind_bytes))
}
