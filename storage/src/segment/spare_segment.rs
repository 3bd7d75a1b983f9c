//! The next segment's file, created, preallocated and zero-filled before the roll that needs
//! it.
//!
//! Creating and preallocating a segment file took 0.3-1.1 ms of the 1.5 ms a roll stalled
//! appends (perf/README.md, item 8), and direct writes into preallocated (unwritten) space
//! wait for ext4's extent conversion (item 14; see [`zero_fill`]). A busy log makes the file
//! early, under a name recovery does not read as a segment, and the roll only renames it.
//! Only a log whose active segment is a quarter full makes one, so idle partitions do not hold
//! a second preallocated segment.

use std::path::Path;
use std::rc::Rc;

use glommio::io::DmaFile;

use crate::dma_file_io::{open_direct, remove_file, write_fully};
use crate::error::{StorageError, StorageResult};

/// Name of the spare file in a partition directory. It does not parse as a segment name, so
/// recovery never takes it for data; a crash leaves at most this one file, which recovery
/// removes.
pub const SPARE_SEGMENT_FILE_NAME: &str = "next-segment.tmp";

/// Where the log's spare segment file stands.
#[derive(Debug, Default)]
pub enum SpareSegment {
    /// None made, none being made.
    #[default]
    Absent,
    /// A task is creating it.
    Creating,
    /// Created and preallocated, ready for the next roll.
    Ready(DmaFile),
    /// Creating it failed (a full disk, most likely); no retry before the next roll, which
    /// creates its segment itself and reports the error if there is one.
    Failed,
}

/// Creates `path` (truncating any old file) and preallocates `bytes`. A full disk shows up as
/// [`StorageError::DiskFull`], and the half-made file is removed.
pub async fn create_preallocated(path: &Path, bytes: u64) -> StorageResult<DmaFile> {
    let file = open_direct(path, true, true).await?;
    if let Err(e) = file.pre_allocate(bytes, false).await {
        let err = StorageError::from_glommio("preallocating", path, e);
        let _closed = file.close().await;
        remove_file(path).await?;
        return Err(err);
    }
    Ok(file)
}

/// Bytes per zero-filling write.
const ZERO_FILL_WRITE_BYTES: usize = 1 << 20;

/// Writes zeros over the first `bytes` of `file`, one write at a time, while `wanted()` holds;
/// `Ok(false)` when it stopped early.
///
/// Why: ext4 hands out preallocated space as unwritten extents, and every direct write into
/// one is finished by a kernel worker that converts the extent, on the CPU that took the
/// disk interrupt. On the benchmark VM that worker waited up to a 4 ms scheduler tick for the
/// CPU, which made about 7 % of log writes take 4 ms or 8.5 ms instead of 0.5-1 ms, and the
/// appends behind them wait at the write-behind bound. A write into written blocks completes
/// without the worker. The price is writing every segment twice; the zeros are written in the
/// background, before the segment takes appends.
pub async fn zero_fill(
    file: &DmaFile,
    path: &Path,
    bytes: u64,
    wanted: impl Fn() -> bool,
) -> StorageResult<bool> {
    let mut zeros = file.alloc_dma_buffer(ZERO_FILL_WRITE_BYTES);
    zeros.as_bytes_mut().fill(0);
    let zeros = Rc::new(zeros);
    let mut position = 0;
    // Bounded by the file size: every round writes one chunk or stops.
    while position + ZERO_FILL_WRITE_BYTES as u64 <= bytes {
        if !wanted() {
            return Ok(false);
        }
        write_fully(file, path, zeros.clone(), position, "zero-filling").await?;
        position += ZERO_FILL_WRITE_BYTES as u64;
    }
    // The tail shorter than a chunk, if any, stays unwritten: at most one slow write per
    // segment.
    Ok(true)
}

/// Creates, preallocates and zero-fills a spare at `path` while `wanted()` holds: the file, or
/// `None` when it stopped early (its file then removed). A failure removes the file too.
pub async fn make(
    path: &Path,
    bytes: u64,
    wanted: impl Fn() -> bool,
) -> StorageResult<Option<DmaFile>> {
    let file = create_preallocated(path, bytes).await?;
    match zero_fill(&file, path, bytes, wanted).await {
        Ok(true) => Ok(Some(file)),
        Ok(false) => {
            discard(file, path).await;
            Ok(None)
        }
        Err(e) => {
            discard(file, path).await;
            Err(e)
        }
    }
}

/// Closes and removes a spare file nobody will use.
pub async fn discard(file: DmaFile, path: &Path) {
    let _closed = file.close().await;
    if let Err(e) = remove_file(path).await {
        tracing::warn!(path = %path.display(), error = %e, "could not remove the spare segment");
    }
}
