//! Walking the batches of a segment file from a position, checking each one's length, CRC and
//! offset before it is trusted. Recovery, index rebuilding and disk reads all use this walk.

use std::path::Path;

use glommio::io::DmaFile;
use sluice_proto::record_batch::{layout::HEADER_LEN, validate, BatchError, BatchHeader};

use crate::error::{StorageError, StorageResult};

/// Bytes read from disk per step of a scan.
const SCAN_CHUNK_BYTES: usize = 1 << 20;

/// Why a scan stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanStop {
    /// The data ended cleanly: end of file, or zeros where the next header would be
    /// (preallocated space never written).
    CleanEnd,
    /// The last batch is cut short by the end of the file.
    Torn(String),
    /// Bytes that are not a valid batch, or a batch with the wrong offset.
    Corrupt(String),
}

/// Where a scan ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanOutcome {
    /// Position after the last valid batch.
    pub end_position: u64,
    /// Offset after the last valid batch.
    pub next_offset: i64,
    /// Why the scan stopped there.
    pub stop: ScanStop,
}

/// Scans `file` from `position`, where a batch with base offset `offset` is expected, up to
/// `file_len`, calling `on_batch(position, header)` for each valid batch in order.
pub async fn scan_batches(
    file: &DmaFile,
    path: &Path,
    mut position: u64,
    mut offset: i64,
    file_len: u64,
    mut on_batch: impl FnMut(u64, &BatchHeader),
) -> StorageResult<ScanOutcome> {
    let mut buffer: Vec<u8> = Vec::new();
    let mut buffer_position = position;
    let stop = loop {
        let in_buffer = (position - buffer_position) as usize;
        let available = buffer.len().saturating_sub(in_buffer);
        let file_left = file_len.saturating_sub(position);
        if file_left == 0 {
            break ScanStop::CleanEnd;
        }
        if available < HEADER_LEN && (available as u64) < file_left {
            buffer = read_chunk(file, path, position, SCAN_CHUNK_BYTES, file_len).await?;
            buffer_position = position;
            continue;
        }
        let bytes = &buffer[in_buffer..];
        let header = match BatchHeader::parse(bytes) {
            Ok(header) => header,
            Err(_) if bytes.iter().take(HEADER_LEN).all(|b| *b == 0) => break ScanStop::CleanEnd,
            Err(BatchError::Truncated { have, need }) => {
                break ScanStop::Torn(format!("header cut at {have} of {need} bytes"))
            }
            Err(e) => break ScanStop::Corrupt(e.to_string()),
        };
        let total = header.total_len();
        if total as u64 > file_left {
            break ScanStop::Torn(format!("batch of {total} bytes, {file_left} left in file"));
        }
        if total > bytes.len() {
            buffer =
                read_chunk(file, path, position, SCAN_CHUNK_BYTES.max(total), file_len).await?;
            buffer_position = position;
            continue;
        }
        if let Err(e) = validate(&bytes[..total]) {
            break ScanStop::Corrupt(e.to_string());
        }
        if header.base_offset != offset {
            break ScanStop::Corrupt(format!(
                "batch base offset {} where {offset} was expected",
                header.base_offset
            ));
        }
        on_batch(position, &header);
        position += total as u64;
        offset = header.last_offset() + 1;
        glommio::yield_if_needed().await;
    };
    Ok(ScanOutcome { end_position: position, next_offset: offset, stop })
}

/// Reads up to `len` bytes at `position`, never past `file_len`.
pub async fn read_chunk(
    file: &DmaFile,
    path: &Path,
    position: u64,
    len: usize,
    file_len: u64,
) -> StorageResult<Vec<u8>> {
    let len = (len as u64).min(file_len.saturating_sub(position)) as usize;
    if len == 0 {
        return Ok(Vec::new());
    }
    let read = file
        .read_at(position, len)
        .await
        .map_err(|e| StorageError::from_glommio("reading", path, e))?;
    Ok(read.to_vec())
}
