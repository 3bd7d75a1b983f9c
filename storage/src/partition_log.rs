//! The partition log: the API the broker and replication call. One log belongs to one shard;
//! every method runs on that shard's glommio executor.
//!
//! Concurrency inside a log: appends copy their batch into the active segment's memory without
//! awaiting, so offsets are assigned in call order and concurrent appenders never interleave
//! bytes. Everything that touches files for writing (writes, fdatasync, roll, truncate,
//! retention, close) holds the log's single I/O permit, so at most one write or fdatasync is in
//! flight per log. An `always` append that finds the permit taken waits for it and then finds
//! its bytes already synced by the holder, or writes and syncs everything appended so far in one
//! go: that is the group commit.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use glommio::sync::{Permit, Semaphore};
use sluice_proto::record_batch::{layout::HEADER_LEN, set_base_offset, validate, BatchHeader};

use crate::batch_cache::{BatchCache, CacheLogId};
use crate::config::{FlushPolicy, LogConfig, DMA_BLOCK_BYTES};
use crate::disk_latency::{DiskLatencySink, DiskOp};
use crate::dma_file_io::{remove_file, sync_directory, write_whole_file};
use crate::error::{StorageError, StorageResult};
use crate::group_commit::GroupCommit;
use crate::index::IndexKind;
use crate::recovery::recover_segments;
use crate::retention::{segments_to_delete, SegmentFacts};
use crate::segment::batch_scan::read_chunk;
use crate::segment::dma_appender::{write_blocks, BytesLocation, WriteScope};
use crate::segment::log_segment::prepare_active_file;
use crate::segment::spare_segment::{self, SpareSegment, ZeroFillPace, SPARE_SEGMENT_FILE_NAME};
use crate::segment::{segment_file_name, Segment};

/// Offsets assigned to an appended batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppendOutcome {
    /// Offset of the batch's first record.
    pub base_offset: i64,
    /// Offset of the batch's last record.
    pub last_offset: i64,
}

/// What a retention pass deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionOutcome {
    /// Closed segments deleted.
    pub segments_deleted: usize,
    /// Bytes of batch data deleted.
    pub bytes_deleted: u64,
    /// The log start offset after the pass.
    pub log_start_offset: i64,
}

/// Counters of what a log has done since it was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogStats {
    /// Batches appended.
    pub appends: u64,
    /// Direct I/O writes of log data.
    pub writes: u64,
    /// fdatasync calls on log segments.
    pub fdatasyncs: u64,
    /// Reads that found their bytes in a write still in flight and waited for it.
    pub reads_waiting_for_writes: u64,
    /// Spare segment files made (created, preallocated and zero-filled) ahead of a roll.
    pub spare_segments_made: u64,
    /// Rolls that renamed a spare instead of creating their segment file.
    pub rolls_from_spare: u64,
}

/// A partition's segmented log. Cheap to clone: clones share the log.
#[derive(Clone)]
pub struct PartitionLog {
    inner: Rc<LogInner>,
}

struct LogInner {
    dir: PathBuf,
    config: LogConfig,
    cache: BatchCache,
    cache_id: CacheLogId,
    state: RefCell<LogState>,
    /// The one permit for file writes, fdatasync and file-set changes.
    io_permit: Semaphore,
    group_commit: GroupCommit,
    /// A background write-behind task is queued or writing.
    write_behind_in_flight: Cell<bool>,
    /// The next segment's file, made ahead of the roll (see [`SpareSegment`]).
    spare_segment: RefCell<SpareSegment>,
    /// Paces the spare's zero-fill to the appends. Shared with the spare's task, which holds
    /// only a weak reference to the log: a log dropped without close releases the pace in its
    /// `Drop`, and the task then removes the spare instead of waiting forever.
    spare_pace: Rc<ZeroFillPace>,
    /// The task making the spare, so close can wait for it: a task that outlived close could
    /// still hold its file in the directory when the caller removes it (deleting a topic).
    spare_task: RefCell<Option<glommio::task::JoinHandle<()>>>,
    /// Where write and fdatasync latencies go, if anywhere.
    disk_latency: Option<DiskLatencySink>,
}

/// Pending bytes, in chunks (`write_behind_bytes`), at which appends wait for a write.
/// On the benchmark VM about 3% of log writes take 1.5-5 ms and a few 8 ms; at 250 MB/s a
/// 1 MiB bound made appends, and so acknowledgements, wait through them. 4 MiB (four of the
/// default 1 MiB chunks) rides them out: open-loop produce-ack p99 2.2 ms -> 1.2 ms (medians
/// of six runs each, measured with 256 KiB chunks and a 16-chunk bound). The bound is per
/// partition log; the bytes are in memory (and in the batch cache) anyway until written.
const WRITE_BEHIND_BACKPRESSURE: u64 = 4;

struct LogState {
    /// Oldest first; the last is the active segment.
    segments: Vec<Segment>,
    log_end_offset: i64,
    /// Every offset below this is in a file (written, maybe not synced).
    written_end_offset: i64,
    /// Every offset below this is fdatasynced.
    durable_end_offset: i64,
    failed: Option<String>,
    closed: bool,
    /// A roll or truncation is between awaits: appends must take the I/O permit.
    busy: bool,
    /// Base offset of the segment sealed by the last roll, until its file is cut to its data
    /// and its indexes are written (see [`LogInner::finish_seal_locked`]). The segment stays in
    /// `segments` meanwhile: everything that could remove it finishes the seal first.
    pending_seal: Option<i64>,
    /// Base offset of the segment a roll just moved appends away from while its tail is still
    /// unwritten or unsynced (see [`LogInner::finish_roll_locked`]). It keeps its appender, so
    /// readers find its last bytes, until the roll's I/O is done.
    sealing: Option<i64>,
    /// Counts truncations, so a sync that straddles one advances nothing.
    truncations: u64,
    /// The log start offset when the log was closed (and its segments handed back).
    start_offset_at_close: i64,
    stats: LogStats,
}

impl LogState {
    fn active(&self) -> &Segment {
        let segment = self.segments.last().expect("a log always has a segment");
        assert!(segment.is_active(), "the last segment is the active one");
        segment
    }

    fn active_mut(&mut self) -> &mut Segment {
        let segment = self.segments.last_mut().expect("a log always has a segment");
        assert!(segment.is_active(), "the last segment is the active one");
        segment
    }

    fn log_start_offset(&self) -> i64 {
        self.segments.first().map_or(self.start_offset_at_close, |s| s.base_offset)
    }

    /// Index of the segment holding `offset` (the last one with base at or below it).
    fn segment_index(&self, offset: i64) -> usize {
        let after = self.segments.partition_point(|s| s.base_offset <= offset);
        assert!(after > 0, "offset is not below the log start");
        after - 1
    }

    fn segment_by_base(&self, base: i64) -> Option<&Segment> {
        self.segments.iter().find(|s| s.base_offset == base)
    }

    fn segment_by_base_mut(&mut self, base: i64) -> Option<&mut Segment> {
        self.segments.iter_mut().find(|s| s.base_offset == base)
    }

    fn check_invariants(&self) {
        if self.closed {
            // Close hands the segments back; an fdatasync that was in flight may finish after.
            return;
        }
        assert!(self.log_start_offset() <= self.log_end_offset, "start never passes end");
        assert!(self.durable_end_offset <= self.written_end_offset, "durable implies written");
        assert!(self.written_end_offset <= self.log_end_offset, "written implies appended");
    }
}

impl Drop for LogInner {
    fn drop(&mut self) {
        // A spare's task waiting for appends would otherwise wait for ever; released, it finds
        // the log gone and removes the spare.
        self.spare_pace.release();
    }
}

impl PartitionLog {
    /// Opens the log in `dir` (created if missing), recovering it as described in
    /// [`crate::recovery`]. Must run on the glommio executor that will own the log.
    pub async fn open(
        dir: impl Into<PathBuf>,
        config: LogConfig,
        cache: BatchCache,
    ) -> StorageResult<PartitionLog> {
        Self::open_reporting(dir, config, cache, None).await
    }

    /// [`PartitionLog::open`], reporting every log write's and fdatasync's latency to
    /// `disk_latency` (the shard's metrics).
    pub async fn open_reporting(
        dir: impl Into<PathBuf>,
        config: LogConfig,
        cache: BatchCache,
        disk_latency: Option<DiskLatencySink>,
    ) -> StorageResult<PartitionLog> {
        config.validate()?;
        let dir = dir.into();
        let segments = recover_segments(&dir, &config, 0).await?;
        let log_end_offset = segments.last().expect("recovery returns a segment").next_offset;
        let cache_id = cache.register_log();
        let inner = Rc::new(LogInner {
            dir,
            config,
            cache,
            cache_id,
            state: RefCell::new(LogState {
                segments,
                log_end_offset,
                written_end_offset: log_end_offset,
                // Recovery fdatasynced everything it kept.
                durable_end_offset: log_end_offset,
                failed: None,
                closed: false,
                busy: false,
                pending_seal: None,
                sealing: None,
                truncations: 0,
                start_offset_at_close: 0,
                stats: LogStats::default(),
            }),
            io_permit: Semaphore::new(1),
            group_commit: GroupCommit::default(),
            write_behind_in_flight: Cell::new(false),
            spare_segment: RefCell::new(SpareSegment::Absent),
            spare_pace: Rc::new(ZeroFillPace::default()),
            spare_task: RefCell::new(None),
            disk_latency,
        });
        if let FlushPolicy::Interval { interval_ms } = inner.config.flush_policy {
            spawn_interval_flusher(Rc::downgrade(&inner), Duration::from_millis(interval_ms));
        }
        Ok(PartitionLog { inner })
    }

    /// Appends one batch: validates it (whole, intact, exactly one batch), assigns it the next
    /// offsets and resolves according to the flush policy (see the crate docs).
    pub async fn append(&self, mut batch: BytesMut) -> StorageResult<AppendOutcome> {
        let header = validate(&batch)?;
        if header.total_len() != batch.len() {
            return Err(StorageError::TrailingBytes {
                batch_bytes: header.total_len(),
                buffer_bytes: batch.len(),
            });
        }
        let inner = &self.inner;
        inner.check_appendable()?;
        let needs_permit = {
            let state = inner.state.borrow();
            state.busy || inner.needs_roll(&state, &header) || !fits_preallocation(&state, &header)
        };
        let outcome = if needs_permit {
            let _permit = inner.lock_io().await?;
            inner.check_appendable()?;
            let roll = inner.needs_roll(&inner.state.borrow(), &header);
            // Under `always` every acknowledgement waits for an fdatasync anyway: the roll
            // does its I/O before the new segment takes appends.
            let pipelined = roll && inner.config.flush_policy != FlushPolicy::Always;
            if pipelined {
                inner.roll_switch_locked().await?;
                // The old segment's I/O runs in a task of its own, so not even this append
                // waits for it (a connection's responses go out in order, so one waiting
                // append holds up all behind it). Whoever takes the permit first finishes the
                // roll before writing anything, so nothing of the new segment reaches the
                // disk before the old tail is durable. A failure there fails the log, which
                // the next append reports, as after a failed write-behind. Spawned before
                // anything below can return early.
                inner.spawn_seal();
            } else if roll {
                inner.roll_locked().await?;
            }
            let fits = fits_preallocation(&inner.state.borrow(), &header);
            if !fits {
                inner.extend_preallocation_locked(header.total_len() as u64).await?;
            }
            // The awaits above may have let a failed fdatasync (the interval flusher's) or a
            // close in: appending then would trip append_in_memory's assertion.
            inner.check_appendable()?;
            inner.append_in_memory(&mut batch, &header)
        } else {
            inner.append_in_memory(&mut batch, &header)
        };
        inner.prepare_spare_segment_if_due();
        match inner.config.flush_policy {
            FlushPolicy::Always => inner.sync_to(outcome.last_offset + 1).await?,
            FlushPolicy::Interval { .. } | FlushPolicy::Never => {
                inner.write_behind().await?;
                // These appends need no I/O to resolve; let the write-behind and interval
                // tasks run when a caller appends in a tight loop.
                glommio::yield_if_needed().await;
            }
        }
        Ok(outcome)
    }

    /// Reads whole batches starting with the one holding `from_offset`, up to `max_bytes`
    /// (always at least one batch, never a partial one), all from one segment, only batches
    /// below [`Self::visible_end_offset`]. Empty at the visible end; an offset below the log
    /// start or above the log end is [`StorageError::OffsetOutOfRange`].
    pub async fn read(&self, from_offset: i64, max_bytes: usize) -> StorageResult<Bytes> {
        let chunks = self.inner.read(from_offset, max_bytes).await?;
        if chunks.len() <= 1 {
            return Ok(chunks.into_iter().next().unwrap_or_default());
        }
        let mut out = BytesMut::with_capacity(chunks.iter().map(Bytes::len).sum());
        for chunk in &chunks {
            out.extend_from_slice(chunk);
        }
        Ok(out.freeze())
    }

    /// [`Self::read`] without the copy: the batches as one or more `Bytes`, back to back in
    /// offset order (cached batches are handed out as they are held; a disk read is one
    /// chunk). Empty at the visible end. The broker's fetch path writes these to the socket
    /// as they are.
    pub async fn read_chunks(
        &self,
        from_offset: i64,
        max_bytes: usize,
    ) -> StorageResult<Vec<Bytes>> {
        self.inner.read(from_offset, max_bytes).await
    }

    /// First offset in the log.
    pub fn log_start_offset(&self) -> i64 {
        self.inner.state.borrow().log_start_offset()
    }

    /// The offset the next appended record gets.
    pub fn log_end_offset(&self) -> i64 {
        self.inner.state.borrow().log_end_offset
    }

    /// Every offset below this is fdatasynced.
    pub fn durable_end_offset(&self) -> i64 {
        self.inner.state.borrow().durable_end_offset
    }

    /// Readers see offsets below this: the durable end under `always` (nothing a crash could
    /// take back is ever served), the log end otherwise.
    pub fn visible_end_offset(&self) -> i64 {
        self.inner.visible_end(&self.inner.state.borrow())
    }

    /// What the log has done since it was opened.
    pub fn stats(&self) -> LogStats {
        self.inner.state.borrow().stats
    }

    /// Number of segments, the active one included.
    pub fn segment_count(&self) -> usize {
        self.inner.state.borrow().segments.len()
    }

    /// Bytes of batch data in the log.
    pub fn size_bytes(&self) -> u64 {
        self.inner.state.borrow().segments.iter().map(|s| s.log_bytes).sum()
    }

    /// The partition directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The configuration the log was opened with.
    pub fn config(&self) -> &LogConfig {
        &self.inner.config
    }

    /// Whether an earlier error failed the log (appends are refused until it is reopened).
    pub fn is_failed(&self) -> bool {
        self.inner.state.borrow().failed.is_some()
    }

    /// Base offset of the first visible batch whose max timestamp is at or after
    /// `timestamp_ms`, or `None` when there is none.
    pub async fn offset_for_timestamp(&self, timestamp_ms: i64) -> StorageResult<Option<i64>> {
        self.inner.offset_for_timestamp(timestamp_ms).await
    }

    /// Removes every batch holding an offset at or above `offset` (a batch straddling `offset`
    /// goes whole) and returns the new log end. Durable before it returns. An offset at or past
    /// the log end changes nothing; one below the log start is out of range.
    pub async fn truncate_to(&self, offset: i64) -> StorageResult<i64> {
        self.inner.truncate_to(offset).await
    }

    /// Closes the active segment and starts a new one now (a no-op when it is empty).
    pub async fn roll(&self) -> StorageResult<()> {
        let _permit = self.inner.lock_io().await?;
        self.inner.check_appendable()?;
        if self.inner.state.borrow().active().is_empty() {
            return Ok(());
        }
        self.inner.roll_locked().await
    }

    /// Writes and fdatasyncs everything appended so far, whatever the policy.
    pub async fn flush(&self) -> StorageResult<()> {
        let target = self.log_end_offset();
        self.inner.sync_to(target).await
    }

    /// Deletes closed segments beyond the retention limits at `now_ms` (ms since the epoch).
    pub async fn enforce_retention(&self, now_ms: i64) -> StorageResult<RetentionOutcome> {
        self.inner.enforce_retention(now_ms).await
    }

    /// Writes and fdatasyncs everything, persists the active segment's indexes and closes the
    /// files. Later calls on any clone fail with [`StorageError::Closed`]. A failed log still
    /// closes, and reports [`StorageError::LogFailed`] because not everything is durable.
    pub async fn close(&self) -> StorageResult<()> {
        self.inner.close().await
    }
}

fn fits_preallocation(state: &LogState, header: &BatchHeader) -> bool {
    let active = state.active();
    active.log_bytes + header.total_len() as u64 <= active.preallocated_bytes
}

impl LogInner {
    /// Reserves file space for a batch bigger than what is left of the active segment's
    /// preallocation (only a batch bigger than a whole segment needs this). A full disk refuses
    /// the append and leaves the log as it was.
    async fn extend_preallocation_locked(&self, batch_bytes: u64) -> StorageResult<()> {
        let (file, path, wanted) = {
            let mut state = self.state.borrow_mut();
            state.busy = true;
            let active = state.active();
            let wanted =
                (active.log_bytes + batch_bytes).div_ceil(DMA_BLOCK_BYTES) * DMA_BLOCK_BYTES;
            (active.file.clone(), active.log_path.clone(), wanted)
        };
        let reserved = file.pre_allocate(wanted, false).await;
        let mut state = self.state.borrow_mut();
        state.busy = false;
        reserved.map_err(|e| StorageError::from_glommio("preallocating", &path, e))?;
        let active = state.active_mut();
        active.preallocated_bytes = active.preallocated_bytes.max(wanted);
        Ok(())
    }

    async fn lock_io(&self) -> StorageResult<Permit<'_>> {
        self.io_permit.acquire_permit(1).await.map_err(|_| StorageError::Closed(self.dir.clone()))
    }

    fn check_appendable(&self) -> StorageResult<()> {
        let state = self.state.borrow();
        if state.closed {
            return Err(StorageError::Closed(self.dir.clone()));
        }
        if let Some(reason) = &state.failed {
            return Err(StorageError::LogFailed { path: self.dir.clone(), reason: reason.clone() });
        }
        Ok(())
    }

    fn check_open(&self) -> StorageResult<()> {
        if self.state.borrow().closed {
            return Err(StorageError::Closed(self.dir.clone()));
        }
        Ok(())
    }

    /// Records the first error that makes the on-disk state untrustworthy.
    fn fail(&self, err: StorageError) -> StorageError {
        let mut state = self.state.borrow_mut();
        if state.failed.is_none() {
            tracing::error!(dir = %self.dir.display(), error = %err, "log failed");
            state.failed = Some(err.to_string());
        }
        err
    }

    fn visible_end(&self, state: &LogState) -> i64 {
        match self.config.flush_policy {
            FlushPolicy::Always => state.durable_end_offset,
            FlushPolicy::Interval { .. } | FlushPolicy::Never => state.log_end_offset,
        }
    }

    fn needs_roll(&self, state: &LogState, header: &BatchHeader) -> bool {
        let active = state.active();
        if active.is_empty() {
            return false;
        }
        let too_big = active.log_bytes + header.total_len() as u64 > self.config.segment_bytes_max;
        let too_old = active.first_timestamp.is_some_and(|first| {
            header.max_timestamp.saturating_sub(first) >= self.config.segment_age_ms_max as i64
        });
        too_big || too_old
    }

    fn append_in_memory(&self, batch: &mut BytesMut, header: &BatchHeader) -> AppendOutcome {
        let mut state = self.state.borrow_mut();
        assert!(!state.busy && !state.closed && state.failed.is_none(), "log is appendable");
        let base_offset = state.log_end_offset;
        set_base_offset(batch, base_offset);
        let header = BatchHeader { base_offset, ..*header };
        let bytes = std::mem::take(batch).freeze();
        let interval = self.config.index_interval_bytes;
        state.active_mut().append(&bytes, &header, interval);
        let last_offset = header.last_offset();
        assert!(last_offset >= base_offset, "offsets are monotonic");
        state.log_end_offset = last_offset + 1;
        state.stats.appends += 1;
        state.check_invariants();
        drop(state);
        self.cache.insert(self.cache_id, base_offset, last_offset, bytes);
        AppendOutcome { base_offset, last_offset }
    }

    /// Starts making the next segment's file once the active segment is a quarter full, so the
    /// roll finds it ready, and paces the zero-fill of one being made. Cheap when there is
    /// nothing to do: while a spare is being made, one multiply-divide and a comparison per
    /// append; otherwise one comparison.
    fn prepare_spare_segment_if_due(self: &Rc<Self>) {
        match *self.spare_segment.borrow() {
            SpareSegment::Absent => {}
            SpareSegment::Creating => {
                self.spare_pace.on_active_grown(self.state.borrow().active().log_bytes);
                return;
            }
            SpareSegment::Ready(_) | SpareSegment::Failed => return,
        }
        let active_bytes = {
            let state = self.state.borrow();
            let active_bytes = state.active().log_bytes;
            if state.closed || active_bytes < self.config.segment_bytes_max / 4 {
                return;
            }
            active_bytes
        };
        *self.spare_segment.borrow_mut() = SpareSegment::Creating;
        let bytes = self.config.segment_preallocate_bytes();
        self.spare_pace.begin(active_bytes, bytes);
        let path = self.dir.join(SPARE_SEGMENT_FILE_NAME);
        let pace = self.spare_pace.clone();
        let log = Rc::downgrade(self);
        let task = glommio::spawn_local(async move {
            let open = || log.upgrade().is_some_and(|inner| !inner.state.borrow().closed);
            let made = spare_segment::make(&path, bytes, &pace, open).await;
            // Closed, or dropped without close: nobody will take the spare.
            let next = match made {
                Ok(Some(file)) if open() => SpareSegment::Ready(file),
                Ok(Some(file)) => {
                    spare_segment::discard(file, &path).await;
                    SpareSegment::Absent
                }
                Ok(None) => SpareSegment::Absent,
                Err(e) => {
                    tracing::debug!(path = %path.display(), error = %e, "no spare segment");
                    SpareSegment::Failed
                }
            };
            if let Some(inner) = log.upgrade() {
                if matches!(next, SpareSegment::Ready(_)) {
                    inner.state.borrow_mut().stats.spare_segments_made += 1;
                }
                *inner.spare_segment.borrow_mut() = next;
            }
        })
        .detach();
        *self.spare_task.borrow_mut() = Some(task);
    }

    /// Takes the spare file if one is ready; a failed attempt may be retried after this roll.
    fn take_spare_segment(&self) -> Option<glommio::io::DmaFile> {
        let mut spare = self.spare_segment.borrow_mut();
        if matches!(*spare, SpareSegment::Creating) {
            // The active segment starts again from empty, so the pace would stall; and the
            // next roll wants this spare.
            self.spare_pace.release();
            return None;
        }
        match std::mem::take(&mut *spare) {
            SpareSegment::Ready(file) => Some(file),
            _ => None,
        }
    }

    /// Under `never` and `interval`: once a chunk (`write_behind_bytes`) is full, a background
    /// task writes the full chunks while appends carry on filling the next; an append only
    /// waits for a write itself when [`WRITE_BEHIND_BACKPRESSURE`] chunks are pending
    /// (backpressure, so memory stays bounded).
    async fn write_behind(self: &Rc<Self>) -> StorageResult<()> {
        let (pending, full_chunk) = {
            let state = self.state.borrow();
            if state.busy {
                return Ok(());
            }
            let appender = state.active().appender.as_ref();
            (
                appender.map_or(0, |a| a.pending_bytes()),
                appender.is_some_and(|a| a.has_full_chunk()),
            )
        };
        let threshold = self.config.write_behind_bytes;
        if pending >= WRITE_BEHIND_BACKPRESSURE * threshold {
            let _permit = self.lock_io().await?;
            self.check_appendable()?;
            return self.write_active_locked(WriteScope::FullChunks).await;
        }
        if full_chunk && !self.write_behind_in_flight.get() {
            self.write_behind_in_flight.set(true);
            let inner = self.clone();
            glommio::spawn_local(async move {
                let written = match inner.lock_io().await {
                    Ok(_permit) => match inner.check_appendable() {
                        Ok(()) => inner.write_active_locked(WriteScope::FullChunks).await,
                        Err(e) => Err(e),
                    },
                    Err(e) => Err(e),
                };
                inner.write_behind_in_flight.set(false);
                if let Err(e) = written {
                    // A failed write has failed the log; the next append reports it.
                    tracing::debug!(dir = %inner.dir.display(), error = %e, "write-behind failed");
                }
            })
            .detach();
        }
        Ok(())
    }

    /// Waits until every offset below `target` is fdatasynced: shares the sync in flight if
    /// there is one, and otherwise writes and syncs everything appended so far itself.
    async fn sync_to(&self, target: i64) -> StorageResult<()> {
        // Bounded: each round either returns or waits for one sync, which covers `target` or
        // leaves the syncer role free for the next round.
        for _round in 0..1_000_000 {
            {
                let state = self.state.borrow();
                if state.durable_end_offset >= target {
                    return Ok(());
                }
                if state.log_end_offset < target {
                    return Err(StorageError::TruncatedBeforeDurable { offset: target - 1 });
                }
            }
            self.check_appendable()?;
            if self.group_commit.is_syncing() {
                self.group_commit.wait_for_sync().await;
                continue;
            }
            self.group_commit.start();
            let result = self.flush_and_sync().await;
            self.group_commit.finish();
            result?;
        }
        panic!("sync_to made no progress towards offset {target}");
    }

    fn report_latency(&self, op: DiskOp, started: Instant) {
        if let Some(sink) = &self.disk_latency {
            sink(op, started.elapsed());
        }
    }

    /// One fdatasync of a log segment, counted and timed.
    async fn fdatasync(&self, file: &glommio::io::DmaFile) -> glommio::Result<(), ()> {
        self.state.borrow_mut().stats.fdatasyncs += 1;
        let started = Instant::now();
        let synced = file.fdatasync().await;
        self.report_latency(DiskOp::Fdatasync, started);
        synced
    }

    /// Writes the active segment's pending bytes, chunk by chunk: with
    /// [`WriteScope::Everything`] all of them, with [`WriteScope::FullChunks`] the whole chunks.
    /// Holds the I/O permit.
    async fn write_active_locked(&self, scope: WriteScope) -> StorageResult<()> {
        // A segment a roll left with unwritten bytes goes first: nothing of its successor may
        // reach the disk before its tail is durable.
        self.finish_roll_locked().await?;
        let base = self.state.borrow().active().base_offset;
        self.write_segment_locked(base, scope).await
    }

    /// Writes the pending bytes of the segment at `base` (the active one, or one a roll is
    /// sealing): see [`Self::write_active_locked`]. Holds the I/O permit.
    async fn write_segment_locked(&self, base: i64, scope: WriteScope) -> StorageResult<()> {
        // What was buffered when the call began, not what appends add meanwhile: a busy
        // partition must not keep the permit (and a roll or a sync waiting for it) forever.
        let position = |inner: &Self| {
            let state = inner.state.borrow();
            let segment = state.segment_by_base(base)?;
            segment.appender.as_ref().map(|a| (a.written_end(), a.end(), a.scope_end(scope)))
        };
        let Some((written, end, chunks_end)) = position(self) else { return Ok(()) };
        let target = match scope {
            WriteScope::FullChunks => chunks_end,
            WriteScope::Everything => end,
        };
        // With nothing pending, the last write reached the end, so the written offsets are known.
        let mut offsets_known = written == end;
        // Bounded: every round writes a chunk, or the tail, of bytes appended before it began;
        // appends that arrive meanwhile stop at the backpressure bound, which waits for this
        // permit.
        loop {
            let Some((written, _, _)) = position(self) else { return Ok(()) };
            // Everything also leaves the written offsets known: a sync reads them next.
            if written >= target && (scope == WriteScope::FullChunks || offsets_known) {
                return Ok(());
            }
            match self.write_one_locked(base, scope).await? {
                None => return Ok(()),
                Some(covered) => offsets_known = covered,
            }
        }
    }

    /// One write of the active segment's buffers: `None` when `scope` held nothing unwritten,
    /// otherwise whether the write reached the end of what was appended when it began.
    async fn write_one_locked(&self, base: i64, scope: WriteScope) -> StorageResult<Option<bool>> {
        let (file, path, write, covers) = {
            let mut state = self.state.borrow_mut();
            let Some(active) = state.segment_by_base_mut(base) else { return Ok(None) };
            let (file, next_offset) = (active.file.clone(), active.next_offset);
            let Some(appender) = active.appender.as_mut() else { return Ok(None) };
            let end = appender.end();
            match appender.prepare_write(&file, scope) {
                None => return Ok(None),
                // Only a write that reaches the end of the appended bytes says which offsets
                // are on disk; a chunk may end inside a batch.
                Some(write) => {
                    let covers = (write.logical_end == end).then_some(next_offset);
                    (file, active.log_path.clone(), write, covers)
                }
            }
        };
        let started = Instant::now();
        let written = write_blocks(&file, &path, write).await;
        self.report_latency(DiskOp::Write, started);
        let mut state = self.state.borrow_mut();
        let appender = state
            .segment_by_base_mut(base)
            .and_then(|segment| segment.appender.as_mut())
            .expect("a segment keeps its appender while a write of it is in flight");
        match written {
            Ok(completed) => {
                appender.complete_write(completed);
                if let Some(upto) = covers {
                    assert!(upto >= state.written_end_offset, "written end never goes back");
                    state.written_end_offset = upto;
                }
                state.stats.writes += 1;
                state.check_invariants();
                Ok(Some(covers.is_some()))
            }
            Err(e) => {
                appender.fail_write();
                drop(state);
                Err(self.fail(e))
            }
        }
    }

    /// fdatasyncs the active segment; on success everything written is durable. Holds the
    /// I/O permit. A failed fdatasync fails the log: the kernel may have dropped the dirty
    /// state, so retrying could report success for data that is gone.
    async fn sync_active_locked(&self) -> StorageResult<()> {
        let base = self.state.borrow().active().base_offset;
        self.sync_segment_locked(base).await
    }

    /// fdatasyncs the segment at `base`; on success everything written up to
    /// `written_end_offset` is durable (nothing after that segment is written yet).
    async fn sync_segment_locked(&self, base: i64) -> StorageResult<()> {
        let (file, path, upto) = {
            let state = self.state.borrow();
            let segment = state.segment_by_base(base).expect("the segment to sync is in the log");
            (segment.file.clone(), segment.log_path.clone(), state.written_end_offset)
        };
        if self.state.borrow().durable_end_offset >= upto {
            return Ok(());
        }
        match self.fdatasync(&file).await {
            Ok(()) => {
                let mut state = self.state.borrow_mut();
                state.durable_end_offset = state.durable_end_offset.max(upto);
                state.check_invariants();
                Ok(())
            }
            Err(e) => Err(self.fail(StorageError::from_glommio("syncing", &path, e))),
        }
    }

    /// Writes everything pending, then fdatasyncs the active segment. The fdatasync runs
    /// without the I/O permit, so write-behind writes carry on meanwhile; it covers exactly the
    /// bytes written before it started. A truncation during the fdatasync voids its result
    /// (the offsets it covered may now name other data), so it then advances nothing.
    async fn flush_and_sync(&self) -> StorageResult<()> {
        let (file, path, upto, truncations) = {
            let _permit = self.lock_io().await?;
            self.check_appendable()?;
            self.write_active_locked(WriteScope::Everything).await?;
            let state = self.state.borrow();
            let active = state.active();
            (
                active.file.clone(),
                active.log_path.clone(),
                state.written_end_offset,
                state.truncations,
            )
        };
        if self.state.borrow().durable_end_offset >= upto {
            return Ok(());
        }
        match self.fdatasync(&file).await {
            Ok(()) => {
                let mut state = self.state.borrow_mut();
                if state.truncations == truncations {
                    state.durable_end_offset = state.durable_end_offset.max(upto);
                }
                state.check_invariants();
                Ok(())
            }
            Err(e) => Err(self.fail(StorageError::from_glommio("syncing", &path, e))),
        }
    }

    /// Seals the active segment and starts a new one at the log end. Holds the I/O permit.
    /// A full disk while creating the new segment refuses the roll and leaves the log as it was.
    ///
    /// Appends wait only until the new segment takes over; cutting the sealed file to its data
    /// and writing its indexes (about 2 ms of the 3.5 ms a roll took, measured at 250 MB/s) is
    /// left to a background task, so a roll stalls the produce path for less. Until that task
    /// runs, the sealed file keeps its zero-filled preallocated tail, which recovery reads as a
    /// clean end and rebuilds the indexes of.
    async fn roll_locked(self: &Rc<Self>) -> StorageResult<()> {
        self.state.borrow_mut().busy = true;
        let result = self.roll_steps().await;
        self.state.borrow_mut().busy = false;
        if result.is_ok() {
            self.spawn_seal();
        }
        result
    }

    /// Runs [`Self::finish_seal_locked`] (which first finishes a pipelined roll) in a task of
    /// its own, so neither waits for the next permit holder.
    fn spawn_seal(self: &Rc<Self>) {
        let inner = self.clone();
        glommio::spawn_local(async move {
            // Whoever takes the permit next finishes the seal if this task has not yet:
            // every holder that could touch the sealed file does so first.
            if let Ok(_permit) = inner.lock_io().await {
                if let Err(e) = inner.finish_seal_locked().await {
                    // A failed truncation has failed the log; the next append reports it.
                    tracing::debug!(dir = %inner.dir.display(), error = %e, "sealing failed");
                }
            }
        })
        .detach();
    }

    /// The first half of a roll under `never` and `interval`: puts the new segment in place
    /// and lets appends go on into it, leaving the old segment (with its appender) to
    /// [`Self::finish_roll_locked`]. Holds the I/O permit. A full disk while creating the new
    /// segment refuses the roll and leaves the log as it was.
    ///
    /// Why: the old tail's write and fdatasync and the directory fsync were about 1.3 ms
    /// during which every append waited (perf/README.md, item 15). They must still happen
    /// before any byte of the new segment is written, or a power loss could keep the new
    /// segment's bytes and lose the old tail's (a hole). Writes need the I/O permit, and
    /// every permit holder that writes finishes the roll first, which orders them; appends
    /// need only memory.
    async fn roll_switch_locked(&self) -> StorageResult<()> {
        self.finish_seal_locked().await?;
        self.state.borrow_mut().busy = true;
        let base = self.state.borrow().log_end_offset;
        let created = self.new_segment_locked(base).await;
        let mut state = self.state.borrow_mut();
        state.busy = false;
        let new_segment = created?;
        let old_base = state.active().base_offset;
        assert!(state.sealing.is_none(), "the previous roll finished before this one");
        assert_eq!(state.active().next_offset, base, "no append reached the old segment meanwhile");
        state.segments.push(new_segment);
        state.sealing = Some(old_base);
        drop(state);
        tracing::debug!(dir = %self.dir.display(), base_offset = base, "rolled segment");
        Ok(())
    }

    /// The second half of a pipelined roll: writes and fdatasyncs the old segment's tail,
    /// makes the new segment's name durable, then seals the old segment (its appender goes
    /// and its seal is pending). Holds the I/O permit. A task spawned by the roll runs it, or
    /// first whichever permit holder that writes or changes files comes before that task.
    async fn finish_roll_locked(&self) -> StorageResult<()> {
        let Some(base) = self.state.borrow().sealing else { return Ok(()) };
        // After a failed write nothing more is written (the appender refuses); the failure
        // is what every later operation reports. (A closed log has no roll pending: close
        // finishes it first.)
        self.check_appendable()?;
        self.write_segment_locked(base, WriteScope::Everything).await?;
        self.sync_segment_locked(base).await?;
        if let Err(e) = sync_directory(&self.dir).await {
            return Err(self.fail(e));
        }
        let mut state = self.state.borrow_mut();
        state.sealing = None;
        let old = state.segment_by_base_mut(base).expect("a sealing segment stays until sealed");
        let appender = old.appender.take().expect("a sealing segment keeps its appender");
        assert_eq!(appender.pending_bytes(), 0, "a sealed segment has nothing unwritten");
        assert!(state.pending_seal.is_none(), "the previous seal finished before this roll");
        state.pending_seal = Some(base);
        Ok(())
    }

    /// The next segment at `base`: the spare made ahead if there is one, else a new file.
    async fn new_segment_locked(&self, base: i64) -> StorageResult<Segment> {
        let from_spare = match self.take_spare_segment() {
            Some(spare) => match Segment::from_spare(&self.dir, base, spare, &self.config).await {
                Ok(segment) => {
                    self.state.borrow_mut().stats.rolls_from_spare += 1;
                    Some(segment)
                }
                Err(e) => {
                    tracing::warn!(dir = %self.dir.display(), error = %e, "spare segment unusable");
                    None
                }
            },
            None => None,
        };
        match from_spare {
            Some(segment) => Ok(segment),
            None => Segment::create(&self.dir, base, &self.config).await,
        }
    }

    /// Cuts the segment sealed by the last roll to exactly its data and writes its indexes, so
    /// the next open trusts it without reading it. Holds the I/O permit. Runs before anything
    /// else that holds the permit could touch the sealed segment: a later roll, a truncation,
    /// retention, close.
    async fn finish_seal_locked(&self) -> StorageResult<()> {
        self.finish_roll_locked().await?;
        let Some(base) = self.state.borrow_mut().pending_seal.take() else { return Ok(()) };
        let (file, path, log_bytes, indexes) = {
            let state = self.state.borrow();
            let sealed = state
                .segments
                .iter()
                .find(|s| s.base_offset == base)
                .expect("a sealed segment stays until its seal finishes");
            assert!(!sealed.is_active(), "only a sealed segment is cut to its data");
            let indexes = sealed.encoded_indexes();
            (sealed.file.clone(), sealed.log_path.clone(), sealed.log_bytes, indexes)
        };
        if let Err(e) = file.truncate(log_bytes).await {
            return Err(self.fail(StorageError::from_glommio("truncating", &path, e)));
        }
        for (path, bytes) in indexes {
            if let Err(e) = write_whole_file(&path, &bytes).await {
                // Indexes are rebuilt from the log when missing or torn; a full disk here
                // must not stop the log.
                tracing::warn!(index = %path.display(), error = %e, "could not write index");
            }
        }
        Ok(())
    }

    async fn roll_steps(&self) -> StorageResult<()> {
        self.finish_seal_locked().await?;
        let base = self.state.borrow().log_end_offset;
        let new_segment = self.new_segment_locked(base).await?;
        if let Err(e) = sync_directory(&self.dir).await {
            return Err(self.fail(e));
        }
        self.write_active_locked(WriteScope::Everything).await?;
        self.sync_active_locked().await?;
        let mut state = self.state.borrow_mut();
        let old = state.active_mut();
        let appender = old.appender.take().expect("active segment has an appender");
        assert_eq!(appender.pending_bytes(), 0, "a sealed segment has nothing unwritten");
        let sealed_base = old.base_offset;
        // The sealed file is cut to exactly its data later (`finish_seal_locked`), so recovery
        // can then trust its index by length.
        state.segments.push(new_segment);
        assert!(state.pending_seal.is_none(), "the previous seal finished before this roll");
        state.pending_seal = Some(sealed_base);
        drop(state);
        tracing::debug!(dir = %self.dir.display(), base_offset = base, "rolled segment");
        Ok(())
    }

    /// Reads, and reports a read that a concurrent truncation or retention cut from under it
    /// as out of range rather than as corruption.
    async fn read(&self, from_offset: i64, max_bytes: usize) -> StorageResult<Vec<Bytes>> {
        let (truncations, start) = {
            let state = self.state.borrow();
            (state.truncations, state.log_start_offset())
        };
        match self.read_unchecked(from_offset, max_bytes).await {
            Err(StorageError::Corrupt { .. }) | Err(StorageError::OffsetOutOfRange { .. })
                if self.log_changed_under(truncations, start) =>
            {
                let state = self.state.borrow();
                Err(StorageError::OffsetOutOfRange {
                    offset: from_offset,
                    log_start_offset: state.log_start_offset(),
                    log_end_offset: state.log_end_offset,
                })
            }
            other => other,
        }
    }

    fn log_changed_under(&self, truncations: u64, start: i64) -> bool {
        let state = self.state.borrow();
        state.truncations != truncations || state.log_start_offset() != start
    }

    async fn read_unchecked(
        &self,
        from_offset: i64,
        max_bytes: usize,
    ) -> StorageResult<Vec<Bytes>> {
        let (base, start_offset, start_position, segment_end_position, visible) = {
            let state = self.state.borrow();
            if state.closed {
                return Err(StorageError::Closed(self.dir.clone()));
            }
            let (start, end) = (state.log_start_offset(), state.log_end_offset);
            if from_offset < start || from_offset > end {
                return Err(StorageError::OffsetOutOfRange {
                    offset: from_offset,
                    log_start_offset: start,
                    log_end_offset: end,
                });
            }
            let visible = self.visible_end(&state);
            if from_offset >= visible {
                return Ok(Vec::new());
            }
            if let Some(chunks) =
                self.cache.read_chunks(self.cache_id, from_offset, max_bytes, visible)
            {
                return Ok(chunks);
            }
            let segment = &state.segments[state.segment_index(from_offset)];
            let (offset, position) = segment.offset_index.lookup(from_offset);
            (segment.base_offset, offset, position, segment.log_bytes, visible)
        };

        // Walk batch headers from the index entry to the batch holding `from_offset`.
        let mut position = start_position;
        let mut expected = start_offset;
        let first = loop {
            if position >= segment_end_position {
                return Err(self.corrupt(base, position, "offset not found in its segment"));
            }
            let header_bytes = self.segment_bytes(base, position, HEADER_LEN).await?;
            let header = BatchHeader::parse(&header_bytes)
                .map_err(|e| self.corrupt(base, position, &e.to_string()))?;
            if header.base_offset != expected {
                return Err(self.corrupt(base, position, "batch offset out of sequence"));
            }
            if header.last_offset() >= from_offset {
                break header;
            }
            position += header.total_len() as u64;
            expected = header.last_offset() + 1;
            glommio::yield_if_needed().await;
        };
        if first.last_offset() >= visible {
            return Ok(Vec::new());
        }

        let window =
            (max_bytes.max(first.total_len()) as u64).min(segment_end_position - position) as usize;
        let data = self.segment_bytes(base, position, window).await?;
        let mut taken = 0usize;
        let mut expected = first.base_offset;
        // Bounded by the window: each round takes a whole batch or stops.
        while taken < data.len() {
            let header = match validate(&data[taken..]) {
                Ok(header) => header,
                Err(_) if taken > 0 && taken + HEADER_LEN > data.len() => break,
                Err(sluice_proto::record_batch::BatchError::Truncated { .. }) if taken > 0 => break,
                Err(e) => return Err(self.corrupt(base, position + taken as u64, &e.to_string())),
            };
            if header.base_offset != expected {
                return Err(self.corrupt(
                    base,
                    position + taken as u64,
                    "batch offset out of sequence",
                ));
            }
            if header.last_offset() >= visible
                || (taken > 0 && taken + header.total_len() > max_bytes)
            {
                break;
            }
            taken += header.total_len();
            expected = header.last_offset() + 1;
        }
        assert!(taken > 0, "the first batch always fits its window");
        Ok(vec![data.slice(..taken)])
    }

    fn corrupt(&self, base: i64, position: u64, reason: &str) -> StorageError {
        StorageError::Corrupt {
            path: self.dir.join(segment_file_name(base, "log")),
            position,
            reason: reason.to_string(),
        }
    }

    /// `len` bytes of segment `base` at `position`, from the read-ahead chunk, the active
    /// segment's unwritten tail or the disk (reading at least `read_ahead_bytes`).
    async fn segment_bytes(&self, base: i64, position: u64, len: usize) -> StorageResult<Bytes> {
        let mut out = BytesMut::with_capacity(len);
        // Each round serves at least one byte from memory or reads the rest from disk, and
        // the disk read covers up to the unwritten tail, so a few rounds always suffice.
        for _round in 0..8 {
            let at = position + out.len() as u64;
            let want = len - out.len();
            if want == 0 {
                break;
            }
            let disk = {
                let state = self.state.borrow();
                let segment = state.segment_by_base(base).ok_or_else(|| self.gone(base))?;
                if let Some((chunk_at, chunk)) = &segment.read_ahead {
                    if at >= *chunk_at && at < chunk_at + chunk.len() as u64 {
                        let from = (at - chunk_at) as usize;
                        let n = want.min(chunk.len() - from);
                        if out.is_empty() && n == len {
                            return Ok(chunk.slice(from..from + n));
                        }
                        out.extend_from_slice(&chunk[from..from + n]);
                        continue;
                    }
                }
                let location = match &segment.appender {
                    Some(appender) => appender.locate(at),
                    None => BytesLocation::Disk { end: segment.log_bytes },
                };
                match location {
                    BytesLocation::Disk { end } => {
                        Some((segment.file.clone(), segment.log_path.clone(), end))
                    }
                    BytesLocation::Buffer => {
                        let appender = segment.appender.as_ref().ok_or_else(|| self.gone(base))?;
                        let copied = appender
                            .copy_buffered(at, want)
                            .ok_or_else(|| self.corrupt(base, at, "read past the segment end"))?;
                        out.extend_from_slice(&copied);
                        continue;
                    }
                    BytesLocation::Lost => {
                        let reason =
                            state.failed.clone().unwrap_or_else(|| "a write failed".into());
                        return Err(StorageError::LogFailed { path: self.dir.clone(), reason });
                    }
                    BytesLocation::InFlight => None,
                }
            };
            let Some((file, path, disk_end)) = disk else {
                // The write holds the I/O permit until it completes, so once the permit is
                // ours the bytes are on disk. A reader that holds the permit itself
                // (truncation) never gets here: no write is in flight while it holds it.
                self.state.borrow_mut().stats.reads_waiting_for_writes += 1;
                drop(self.lock_io().await?);
                continue;
            };
            // A truncation running alongside may have moved the end below `at`; the read then
            // finds nothing and reports the change.
            let read_len =
                (want as u64).max(self.config.read_ahead_bytes).min(disk_end.saturating_sub(at));
            let chunk =
                Bytes::from(read_chunk(&file, &path, at, read_len as usize, disk_end).await?);
            if chunk.is_empty() {
                return Err(self.corrupt(base, at, "file shorter than its data"));
            }
            let n = want.min(chunk.len());
            out.extend_from_slice(&chunk[..n]);
            if let Some(segment) = self.state.borrow_mut().segment_by_base_mut(base) {
                segment.read_ahead = Some((at, chunk));
            }
        }
        assert_eq!(out.len(), len, "segment reads converge");
        Ok(out.freeze())
    }

    fn gone(&self, base: i64) -> StorageError {
        let state = self.state.borrow();
        StorageError::OffsetOutOfRange {
            offset: base,
            log_start_offset: state.log_start_offset(),
            log_end_offset: state.log_end_offset,
        }
    }

    async fn offset_for_timestamp(&self, timestamp_ms: i64) -> StorageResult<Option<i64>> {
        let start = {
            let state = self.state.borrow();
            if state.closed {
                return Err(StorageError::Closed(self.dir.clone()));
            }
            let Some(segment) =
                state.segments.iter().find(|s| !s.is_empty() && s.max_timestamp >= timestamp_ms)
            else {
                return Ok(None);
            };
            segment.time_index.scan_start(timestamp_ms).max(state.log_start_offset())
        };
        let mut offset = start;
        // Bounded by the log end: every round moves past at least one batch or returns.
        loop {
            if offset >= self.state.borrow().log_end_offset {
                return Ok(None);
            }
            let chunks = self.read(offset, 1 << 20).await?;
            if chunks.is_empty() {
                return Ok(None);
            }
            for bytes in &chunks {
                let mut at = 0;
                while at < bytes.len() {
                    let header =
                        validate(&bytes[at..]).expect("read returns whole, checked batches");
                    if header.max_timestamp >= timestamp_ms {
                        return Ok(Some(header.base_offset));
                    }
                    at += header.total_len();
                    offset = header.last_offset() + 1;
                }
            }
            glommio::yield_if_needed().await;
        }
    }

    async fn truncate_to(&self, offset: i64) -> StorageResult<i64> {
        let _permit = self.lock_io().await?;
        self.check_appendable()?;
        self.finish_seal_locked().await?;
        let (index, start_offset, start_position, end_position) = {
            let state = self.state.borrow();
            let (start, end) = (state.log_start_offset(), state.log_end_offset);
            if offset < start {
                return Err(StorageError::OffsetOutOfRange {
                    offset,
                    log_start_offset: start,
                    log_end_offset: end,
                });
            }
            if offset >= end {
                return Ok(end);
            }
            let index = state.segment_index(offset);
            let segment = &state.segments[index];
            let (entry_offset, entry_position) = segment.offset_index.lookup(offset);
            (index, entry_offset, entry_position, segment.log_bytes)
        };
        self.write_active_locked(WriteScope::Everything).await?;

        // Find the batch holding `offset`: the cut goes at its start.
        let base = self.state.borrow().segments[index].base_offset;
        let (mut position, mut expected) = (start_position, start_offset);
        while position < end_position {
            let header_bytes = self.segment_bytes(base, position, HEADER_LEN).await?;
            let header = BatchHeader::parse(&header_bytes)
                .map_err(|e| self.corrupt(base, position, &e.to_string()))?;
            if header.base_offset != expected {
                return Err(self.corrupt(base, position, "batch offset out of sequence"));
            }
            if header.last_offset() >= offset {
                break;
            }
            position += header.total_len() as u64;
            expected = header.last_offset() + 1;
        }
        let (cut_offset, cut_position) = (expected, position);

        self.state.borrow_mut().busy = true;
        let result = self.truncate_steps(index, cut_offset, cut_position).await;
        self.state.borrow_mut().busy = false;
        result.map_err(|e| self.fail(e))?;
        tracing::info!(dir = %self.dir.display(), offset, log_end_offset = cut_offset, "truncated log");
        Ok(cut_offset)
    }

    async fn truncate_steps(
        &self,
        index: usize,
        cut_offset: i64,
        cut_position: u64,
    ) -> StorageResult<()> {
        let (removed, file, path) = {
            let mut state = self.state.borrow_mut();
            state.truncations += 1;
            let removed: Vec<Segment> = state.segments.drain(index + 1..).collect();
            let segment = &mut state.segments[index];
            segment.appender = None;
            segment.truncate_accounting(cut_position, cut_offset);
            state.log_end_offset = cut_offset;
            state.written_end_offset = state.written_end_offset.min(cut_offset);
            state.durable_end_offset = state.durable_end_offset.min(cut_offset);
            let segment = &state.segments[index];
            (removed, segment.file.clone(), segment.log_path.clone())
        };
        self.cache.remove_from(self.cache_id, cut_offset);
        for segment in removed {
            remove_segment_files(segment).await?;
        }
        let appender = prepare_active_file(&file, &path, cut_position, &self.config).await?;
        let index_paths = {
            let mut state = self.state.borrow_mut();
            let segment = &mut state.segments[index];
            segment.appender = Some(appender);
            segment.preallocated_bytes = self.config.segment_preallocate_bytes().max(cut_position);
            // Everything left was written before the cut and the file is synced now.
            state.written_end_offset = cut_offset;
            state.durable_end_offset = cut_offset;
            state.check_invariants();
            let segment = &state.segments[index];
            [segment.index_path(IndexKind::Offset), segment.index_path(IndexKind::Time)]
        };
        for index_path in index_paths {
            remove_file(&index_path).await?;
        }
        sync_directory(&self.dir).await
    }

    async fn enforce_retention(&self, now_ms: i64) -> StorageResult<RetentionOutcome> {
        let _permit = self.lock_io().await?;
        self.check_open()?;
        self.finish_seal_locked().await?;
        let (removed, log_start_offset) = {
            let mut state = self.state.borrow_mut();
            let facts: Vec<SegmentFacts> = state
                .segments
                .iter()
                .map(|s| SegmentFacts { log_bytes: s.log_bytes, max_timestamp: s.max_timestamp })
                .collect();
            let count = segments_to_delete(&facts, &self.config, now_ms);
            let removed: Vec<Segment> = state.segments.drain(..count).collect();
            assert!(!state.segments.is_empty(), "the active segment stays");
            (removed, state.log_start_offset())
        };
        self.cache.remove_below(self.cache_id, log_start_offset);
        let outcome = RetentionOutcome {
            segments_deleted: removed.len(),
            bytes_deleted: removed.iter().map(|s| s.log_bytes).sum(),
            log_start_offset,
        };
        if removed.is_empty() {
            return Ok(outcome);
        }
        for segment in removed {
            tracing::info!(segment = %segment.log_path.display(), "retention deletes segment");
            remove_segment_files(segment).await?;
        }
        sync_directory(&self.dir).await?;
        Ok(outcome)
    }

    async fn close(&self) -> StorageResult<()> {
        let _permit = self.lock_io().await?;
        if self.state.borrow().closed {
            return Ok(());
        }
        // Appends from here on wait for the permit and then find the log closed; without this
        // they went into memory while close wrote and synced, were acknowledged, and were
        // dropped with the segments.
        self.state.borrow_mut().busy = true;
        // A failure here fails the log, which the line below reports.
        let _sealed = self.finish_seal_locked().await;
        let failed = self.state.borrow().failed.clone();
        let synced = if let Some(reason) = failed {
            // Close still releases everything, and says the data was not all made durable.
            Err(StorageError::LogFailed { path: self.dir.clone(), reason })
        } else {
            match self.write_active_locked(WriteScope::Everything).await {
                Ok(()) => self.sync_active_locked().await,
                Err(e) => Err(e),
            }
        };
        let (segments, indexes) = {
            let mut state = self.state.borrow_mut();
            state.closed = true;
            state.start_offset_at_close = state.log_start_offset();
            let indexes = state.active().encoded_indexes();
            (std::mem::take(&mut state.segments), indexes)
        };
        self.cache.remove_log(self.cache_id);
        if synced.is_ok() {
            for (path, bytes) in indexes {
                if let Err(e) = write_whole_file(&path, &bytes).await {
                    tracing::warn!(index = %path.display(), error = %e, "could not write index");
                }
            }
        }
        for segment in segments {
            close_segment_file(segment).await;
        }
        // A spare still being made is discarded by its task, which sees the log closed once
        // its pace lets it look (after at most one more zero write).
        self.spare_pace.release();
        let spare_task = self.spare_task.borrow_mut().take();
        if let Some(task) = spare_task {
            task.await;
        }
        let spare = std::mem::take(&mut *self.spare_segment.borrow_mut());
        if let SpareSegment::Ready(file) = spare {
            spare_segment::discard(file, &self.dir.join(SPARE_SEGMENT_FILE_NAME)).await;
        }
        synced
    }
}

async fn remove_segment_files(segment: Segment) -> StorageResult<()> {
    let paths = [
        segment.log_path.clone(),
        segment.index_path(IndexKind::Offset),
        segment.index_path(IndexKind::Time),
    ];
    close_segment_file(segment).await;
    for path in paths {
        remove_file(&path).await?;
    }
    Ok(())
}

/// Closes a segment's file when no reader still holds it; a reader's clone closes on drop.
async fn close_segment_file(segment: Segment) {
    let path = segment.log_path.clone();
    if let Ok(file) = Rc::try_unwrap(segment.file) {
        if let Err(e) = file.close().await {
            tracing::warn!(segment = %path.display(), error = %e, "closing segment file failed");
        }
    }
}

/// Under `interval`: writes and fdatasyncs whatever is pending every `period`, for as long as
/// the log is open.
fn spawn_interval_flusher(log: Weak<LogInner>, period: Duration) {
    glommio::spawn_local(async move {
        loop {
            glommio::timer::sleep(period).await;
            let Some(inner) = log.upgrade() else { break };
            let pending = {
                let state = inner.state.borrow();
                if state.closed || state.failed.is_some() {
                    break;
                }
                state.durable_end_offset < state.log_end_offset
            };
            if pending && !inner.group_commit.is_syncing() {
                inner.group_commit.start();
                let synced = inner.flush_and_sync().await;
                inner.group_commit.finish();
                if let Err(e) = synced {
                    // The error is recorded in the log's failed state; appends report it.
                    tracing::error!(dir = %inner.dir.display(), error = %e, "interval flush failed");
                    break;
                }
            }
        }
    })
    .detach();
}
