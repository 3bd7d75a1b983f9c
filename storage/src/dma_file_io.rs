//! Opening files for direct I/O and moving whole small files (indexes, metadata) through
//! glommio's `DmaFile`, so nothing on a shard ever blocks on `std::fs`.

use std::path::Path;
use std::rc::Rc;

use glommio::io::{DmaBuffer, DmaFile, OpenOptions};

use crate::config::DMA_BLOCK_BYTES;
use crate::error::{StorageError, StorageResult};

/// Opens (or creates) `path` read-write with `O_DIRECT`.
///
/// glommio leaves `O_DIRECT` off on tmpfs; asking for it explicitly keeps the promise that the
/// log's write path never goes through the page cache on every file system that supports it.
pub async fn open_direct(path: &Path, create: bool, truncate: bool) -> StorageResult<DmaFile> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .truncate(truncate)
        .custom_flags(libc::O_DIRECT)
        .dma_open(path)
        .await
        .map_err(|e| StorageError::from_glommio("opening", path, e))
}

/// Reads all of a small file, or `None` when it does not exist.
pub async fn read_whole_file(path: &Path) -> StorageResult<Option<Vec<u8>>> {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECT)
        .dma_open(path)
        .await
        .map_err(|e| StorageError::from_glommio("opening", path, e))
    {
        Ok(file) => file,
        Err(StorageError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let result = read_all_of(&file, path).await;
    let closed = file.close().await.map_err(|e| StorageError::from_glommio("closing", path, e));
    let bytes = result?;
    closed?;
    Ok(Some(bytes))
}

async fn read_all_of(file: &DmaFile, path: &Path) -> StorageResult<Vec<u8>> {
    let size = file.file_size().await.map_err(|e| StorageError::from_glommio("sizing", path, e))?;
    let mut out = Vec::with_capacity(size as usize);
    // Bounded by the file size: each round reads at least one byte or stops.
    while (out.len() as u64) < size {
        let want = (size - out.len() as u64).min(1 << 20) as usize;
        let chunk = file
            .read_at(out.len() as u64, want)
            .await
            .map_err(|e| StorageError::from_glommio("reading", path, e))?;
        if chunk.is_empty() {
            break;
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Writes all of `buffer` at `position` with direct I/O. A short write means the device could
/// not take the blocks, and is reported as the full disk the kernel would give for the rest.
/// The buffer is shared so a caller can keep it for reuse once the write is done.
pub async fn write_fully(
    file: &DmaFile,
    path: &Path,
    buffer: Rc<DmaBuffer>,
    position: u64,
    op: &'static str,
) -> StorageResult<()> {
    let len = buffer.len();
    let written = file
        .write_rc_at(buffer, position)
        .await
        .map_err(|e| StorageError::from_glommio(op, path, e))?;
    if written < len {
        return Err(StorageError::from_io(
            op,
            path,
            std::io::Error::from_raw_os_error(libc::ENOSPC),
        ));
    }
    Ok(())
}

/// Writes `bytes` as the whole content of `path` (created or replaced in place), fdatasyncs it
/// and closes it. The write is padded to the DMA block size and the file then cut to length.
pub async fn write_whole_file(path: &Path, bytes: &[u8]) -> StorageResult<()> {
    let file = open_direct(path, true, true).await?;
    let result = write_all_to(&file, path, bytes).await;
    let closed = file.close().await.map_err(|e| StorageError::from_glommio("closing", path, e));
    result?;
    closed
}

async fn write_all_to(file: &DmaFile, path: &Path, bytes: &[u8]) -> StorageResult<()> {
    let padded = (bytes.len() as u64).div_ceil(DMA_BLOCK_BYTES) * DMA_BLOCK_BYTES;
    if padded > 0 {
        let mut buffer = file.alloc_dma_buffer(padded as usize);
        let out = buffer.as_bytes_mut();
        out[..bytes.len()].copy_from_slice(bytes);
        out[bytes.len()..].fill(0);
        assert_eq!(padded % DMA_BLOCK_BYTES, 0, "direct I/O writes whole blocks");
        write_fully(file, path, Rc::new(buffer), 0, "writing").await?;
    }
    file.truncate(bytes.len() as u64)
        .await
        .map_err(|e| StorageError::from_glommio("truncating", path, e))?;
    file.fdatasync().await.map_err(|e| StorageError::from_glommio("syncing", path, e))
}

/// Fsyncs a directory so that creations, renames and removals inside it are durable.
pub async fn sync_directory(path: &Path) -> StorageResult<()> {
    let dir = glommio::io::Directory::open(path)
        .await
        .map_err(|e| StorageError::from_glommio("opening directory", path, e))?;
    let synced =
        dir.sync().await.map_err(|e| StorageError::from_glommio("syncing directory", path, e));
    let closed =
        dir.close().await.map_err(|e| StorageError::from_glommio("closing directory", path, e));
    synced?;
    closed
}

/// Removes a file; a file that is already gone is not an error.
pub async fn remove_file(path: &Path) -> StorageResult<()> {
    match glommio::io::remove(path).await {
        Ok(()) => Ok(()),
        Err(e) => match StorageError::from_glommio("removing", path, e) {
            StorageError::NotFound { .. } => Ok(()),
            other => Err(other),
        },
    }
}

/// Lists the file names in a directory on glommio's blocking thread pool.
pub async fn list_directory(path: &Path) -> StorageResult<Vec<String>> {
    let owned = path.to_path_buf();
    let listed = glommio::executor()
        .spawn_blocking(move || -> std::io::Result<Vec<String>> {
            let mut names = Vec::new();
            for entry in std::fs::read_dir(&owned)? {
                names.push(entry?.file_name().to_string_lossy().into_owned());
            }
            Ok(names)
        })
        .await;
    listed.map_err(|e| StorageError::from_io("listing", path, e))
}

/// Creates a directory and its parents on glommio's blocking thread pool.
pub async fn create_directory_all(path: &Path) -> StorageResult<()> {
    let owned = path.to_path_buf();
    glommio::executor()
        .spawn_blocking(move || std::fs::create_dir_all(&owned))
        .await
        .map_err(|e| StorageError::from_io("creating directory", path, e))
}

thread_local! {
    /// Devices whose poll-ring support this thread has made sure was probed correctly.
    static PROBED_DEVICES: std::cell::RefCell<std::collections::HashSet<u64>> =
        std::cell::RefCell::new(std::collections::HashSet::new());
}

/// Makes glommio decide correctly whether the device under `dir` supports polled I/O.
///
/// glommio 0.9 probes a device the first time a `DmaFile` on it is opened, by reading the first
/// block of that file, and remembers the answer for the whole process. When that file is empty
/// the read succeeds without reaching the device, glommio concludes that polling works, and
/// every later read on a device without poll queues fails with EOPNOTSUPP. So before the first
/// direct open on a device we open a file that has a block of data, which makes the probe
/// reach the device and answer correctly.
pub async fn ensure_device_probed(dir: &Path) -> StorageResult<()> {
    let owned = dir.to_path_buf();
    let device = glommio::executor()
        .spawn_blocking(move || {
            std::fs::metadata(&owned).map(|m| std::os::unix::fs::MetadataExt::dev(&m))
        })
        .await
        .map_err(|e| StorageError::from_io("inspecting", dir, e))?;
    if PROBED_DEVICES.with(|probed| probed.borrow().contains(&device)) {
        return Ok(());
    }
    let probe_path = dir.join(".sluice-poll-probe");
    let file = glommio::io::BufferedFile::create(&probe_path)
        .await
        .map_err(|e| StorageError::from_glommio("creating", &probe_path, e))?;
    let written = file
        .write_at(vec![0u8; DMA_BLOCK_BYTES as usize], 0)
        .await
        .map_err(|e| StorageError::from_glommio("writing", &probe_path, e));
    let closed =
        file.close().await.map_err(|e| StorageError::from_glommio("closing", &probe_path, e));
    written?;
    closed?;
    let probe = DmaFile::open(&probe_path)
        .await
        .map_err(|e| StorageError::from_glommio("opening", &probe_path, e))?;
    probe.close().await.map_err(|e| StorageError::from_glommio("closing", &probe_path, e))?;
    remove_file(&probe_path).await?;
    PROBED_DEVICES.with(|probed| probed.borrow_mut().insert(device));
    Ok(())
}
