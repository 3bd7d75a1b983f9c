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
//! ## Use
//!
//! ```no_run
//! use bytes::BytesMut;
//! use glommio::{LocalExecutorBuilder, Placement};
//! use sluice_storage::{BatchCache, LogConfig, PartitionLog};
//!
//! # fn a_produced_batch() -> BytesMut { BytesMut::new() }
//! LocalExecutorBuilder::new(Placement::Fixed(0))
//!     .io_memory(4 << 20)
//!     .spawn(|| async move {
//!         // One cache per shard, shared by every log on it.
//!         let cache = BatchCache::new(256 << 20);
//!         let log = PartitionLog::open("/data/orders/0", LogConfig::default(), cache).await?;
//!         let appended = log.append(a_produced_batch()).await?; // durable under `always`
//!         let batches = log.read(appended.base_offset, 1 << 20).await?; // whole batches
//!         # let _ = batches;
//!         log.close().await
//!     })
//!     .expect("executor")
//!     .join()
//!     .expect("shard")
//!     .expect("storage");
//! ```
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
//! An append "is acknowledged" when its future returns `Ok`; its offsets are fixed from then on.
//!
//! - [`FlushPolicy::Always`] (the default): before the append resolves, the batch and every
//!   batch before it have been written with direct I/O and an `fdatasync` issued after that
//!   write has returned success. The batch survives a process crash and, on a device that
//!   honours flushes, power loss. Appends that arrive while an fdatasync is in flight do not
//!   queue for their own: they wait for it, and one of them then writes and syncs everything
//!   appended meanwhile for all of them ([`group_commit`]). Readers only ever see durable
//!   batches ([`PartitionLog::visible_end_offset`] is the durable end), so nothing a crash could
//!   take back is ever served to a consumer or a replica.
//! - [`FlushPolicy::Interval`]: the append resolves once the batch is in the log's memory. A
//!   timer writes and fdatasyncs everything appended every `interval_ms`, so a batch is durable
//!   at most `interval_ms` plus one write and one fdatasync after it was acknowledged. A crash
//!   may lose the batches of that window — always a suffix of the log, never a hole. Readers see
//!   every acknowledged batch, durable or not.
//! - [`FlushPolicy::Never`]: the append resolves once the batch is in the log's memory. Buffered
//!   bytes are written in the background a chunk (`write_behind_bytes`) at a time as chunks
//!   fill (appends wait only when four chunks' worth is pending), and fdatasynced only when a segment rolls, on
//!   [`PartitionLog::flush`] and on [`PartitionLog::close`]. A process crash loses the unwritten
//!   buffer (written bytes went to the device with `O_DIRECT`, not to the page cache); power loss
//!   may lose everything since the last roll, flush or close. Again only ever a suffix.
//!
//! Under every policy [`PartitionLog::durable_end_offset`] says exactly what is fdatasynced,
//! and a failed write or fdatasync fails the log: the page cache and the device can no longer
//! be trusted to hold what was written, so there is no retry. Later appends return
//! [`StorageError::LogFailed`]; reopening the log runs recovery, which decides what is on disk.
//! A full disk is [`StorageError::DiskFull`]: it is met when a segment is created or room is
//! reserved, never in the middle of a write, so the append is refused, the log stays readable,
//! and appends succeed again once space is freed.
//!
//! ## Executors
//!
//! Everything here runs on a glommio `LocalExecutor`; nothing blocks it (directory listing and
//! creation go to glommio's blocking pool). Two things about executors:
//!
//! - glommio's default `io_memory` (10 MiB) is above an 8 MiB `RLIMIT_MEMLOCK`; build executors
//!   with a smaller one there (the tests use 2 MiB, the benchmarks 4 MiB).
//! - An executor that parks in the kernel as soon as it is idle sometimes wakes milliseconds
//!   late for an I/O completion (seen on the benchmark VM under load); shards that run logs
//!   with `always` should spin briefly before parking (`spin_before_park`, e.g. 200 µs).
//!
//! glommio 0.9 misdetects poll-ring support when the first direct-I/O file it opens on a device
//! is empty; [`dma_file_io::ensure_device_probed`] works around it and runs before the first
//! open in every directory this crate touches.

pub mod batch_cache;
pub mod config;
pub mod disk_latency;
pub mod dma_file_io;
pub mod error;
pub mod group_commit;
pub mod index;
pub mod metadata_file;
pub mod partition_log;
pub mod reactor_tick;
pub mod recovery;
pub mod retention;
pub mod segment;

pub use batch_cache::BatchCache;
pub use config::{FlushPolicy, LogConfig};
pub use disk_latency::{DiskLatencySink, DiskOp};
pub use error::{StorageError, StorageResult};
pub use partition_log::{AppendOutcome, LogStats, PartitionLog, RetentionOutcome};
