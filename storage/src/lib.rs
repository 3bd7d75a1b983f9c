//! # sluice-storage
//!
//! The per-partition segmented log of Sluice, on glommio direct I/O.
//!
//! ## Place in the system
//!
//! The broker owns one [`PartitionLog`] per partition replica, on the shard (core, glommio
//! executor) the shard table assigns it to; every call on a log happens on that shard. The
//! broker validates nothing twice: [`PartitionLog::append`] checks the batch (Kafka RecordBatch
//! v2, via `sluice-proto`), stamps its base offset (outside the CRC) and stores the very bytes
//! it serves back from [`PartitionLog::read`]. Replication (`sluice-replication`) uses the
//! offsets, [`PartitionLog::durable_end_offset`] and [`PartitionLog::truncate_to`]. The broker's
//! own tables (topics, shard table) go through [`metadata_file`]. This crate knows nothing of
//! the network, of topics beyond a directory, or of flatbuffers.
//!
//! ## On disk
//!
//! `<partition dir>/<base offset, 20 digits>.log` holds batches back to back; `.index` (offset →
//! position) and `.timeindex` (timestamp → offset) beside it are sparse, checksummed and
//! rebuildable ([`index`]). Segments roll by size and age and are preallocated; the log's write
//! path uses `O_DIRECT` with 4 KiB-aligned writes, keeping the partly filled last block in memory
//! and rewriting it with the next write ([`segment::dma_appender`]). Recovery is described in
//! [`recovery`].
//!
//! ## What an acknowledgement promises, per flush policy
//!
//! An append "resolves" when its future returns `Ok`.
//!
//! - [`FlushPolicy::Always`] (the default): the batch and every batch before it have been
//!   written with direct I/O and `fdatasync` returned success before the append resolves. It
//!   survives a process crash and, given a device that honours flushes, power loss. Appends
//!   that arrive while an fdatasync is in flight wait and share the next one (group commit).
//!   Readers only ever see durable batches ([`PartitionLog::visible_end_offset`] is the durable
//!   end), so nothing a crash could take back is ever served.
//! - [`FlushPolicy::Interval`]: the append resolves once the batch is in the log's memory, with
//!   its offsets fixed. The log writes and fdatasyncs everything appended at least every
//!   `interval_ms` (plus the time that write and fdatasync take). A crash may lose the
//!   batches of the last interval — always a suffix of the log, never a hole. Readers see every
//!   appended batch, including ones not yet durable.
//! - [`FlushPolicy::Never`]: the append resolves once the batch is in the log's memory. Bytes
//!   are written when `write_behind_bytes` are pending and fdatasynced only when a segment
//!   rolls, on [`PartitionLog::flush`] and on [`PartitionLog::close`]. A process crash loses at
//!   most the unwritten buffer (direct writes bypass the page cache, so written bytes are with
//!   the device); power loss may lose everything since the last roll, flush or close. Again
//!   only ever a suffix.
//!
//! Under every policy a failed write or fdatasync fails the log: later appends return
//! [`StorageError::LogFailed`] and the log must be reopened (recovery then decides what is on
//! disk). A full disk is reported as [`StorageError::DiskFull`] when a new segment cannot be
//! created; the log stays readable and takes appends again once space is freed.
//!
//! ## Executors
//!
//! Everything here runs on a glommio `LocalExecutor`. glommio's default `io_memory` (10 MiB)
//! is above an 8 MiB `RLIMIT_MEMLOCK`; build executors with a smaller `io_memory` there.

pub mod batch_cache;
pub mod config;
pub mod dma_file_io;
pub mod error;
pub mod index;
pub mod metadata_file;
pub mod partition_log;
pub mod recovery;
pub mod retention;
pub mod segment;

pub use batch_cache::BatchCache;
pub use config::{FlushPolicy, LogConfig};
pub use error::{StorageError, StorageResult};
pub use partition_log::{AppendOutcome, PartitionLog, RetentionOutcome};
