//! The next segment's file, created and preallocated before the roll that needs it.
//!
//! Creating and preallocating a segment file took 0.3-1.1 ms of the 1.5 ms a roll stalls
//! appends (perf/README.md, item 8). A busy log makes the file early, under a name recovery
//! does not read as a segment, and the roll only renames it. Only a log whose active segment
//! is half full makes one, so idle partitions do not hold a second preallocated segment.

use std::path::Path;

use glommio::io::DmaFile;

use crate::dma_file_io::{open_direct, remove_file};
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

/// Closes and removes a spare file nobody will use.
pub async fn discard(file: DmaFile, path: &Path) {
    let _closed = file.close().await;
    if let Err(e) = remove_file(path).await {
        tracing::warn!(path = %path.display(), error = %e, "could not remove the spare segment");
    }
}
