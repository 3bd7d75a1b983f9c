//! The write path of the active segment: appended bytes collect in memory and go to disk in
//! 4 KiB-aligned direct I/O writes. The last, partly filled block stays in memory after a write
//! and is written again, completed, by the next one. [`write_blocks`] is the one place in the
//! crate that writes log data, and it asserts the alignment.

use std::path::Path;

use glommio::io::{DmaBuffer, DmaFile};

use crate::config::DMA_BLOCK_BYTES;
use crate::error::{StorageError, StorageResult};

/// Buffered tail of the active segment.
#[derive(Debug)]
pub struct DmaAppender {
    /// Bytes from `buffer_position` to the logical end of the segment.
    buffer: Vec<u8>,
    /// File position of `buffer[0]`; always block-aligned.
    buffer_position: u64,
    /// Logical end of the bytes known to be written to the file.
    written_end: u64,
}

/// One write prepared from the buffer: whole blocks, padded with zeros.
pub struct PreparedWrite {
    buffer: DmaBuffer,
    position: u64,
    /// Logical segment end this write brings the file to.
    pub logical_end: u64,
}

impl DmaAppender {
    /// An appender for a segment whose data ends at `end`, where `tail_block` holds the bytes
    /// of the last partial block (`end % 4096` of them), already on disk.
    pub fn new(end: u64, tail_block: Vec<u8>) -> DmaAppender {
        let buffer_position = end - end % DMA_BLOCK_BYTES;
        assert_eq!(
            tail_block.len() as u64,
            end - buffer_position,
            "tail block is the partial block"
        );
        DmaAppender { buffer: tail_block, buffer_position, written_end: end }
    }

    /// Logical end of the segment data, written or not.
    pub fn end(&self) -> u64 {
        self.buffer_position + self.buffer.len() as u64
    }

    /// Bytes appended but not yet written.
    pub fn pending_bytes(&self) -> u64 {
        self.end() - self.written_end
    }

    /// Logical end of the data on disk.
    pub fn written_end(&self) -> u64 {
        self.written_end
    }

    /// File position below which every byte is on disk and never rewritten.
    pub fn buffer_position(&self) -> u64 {
        self.buffer_position
    }

    /// Appends bytes in memory.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// Copies `[position, position + len)` out of the buffer, if the buffer holds all of it.
    pub fn copy_buffered(&self, position: u64, len: usize) -> Option<Vec<u8>> {
        let start = position.checked_sub(self.buffer_position)? as usize;
        self.buffer.get(start..start + len).map(<[u8]>::to_vec)
    }

    /// Builds the next write: every buffered byte from the aligned buffer start, padded to a
    /// whole block. `None` when nothing is pending.
    pub fn prepare_write(&self, file: &DmaFile) -> Option<PreparedWrite> {
        if self.pending_bytes() == 0 {
            return None;
        }
        let padded = (self.buffer.len() as u64).div_ceil(DMA_BLOCK_BYTES) * DMA_BLOCK_BYTES;
        let mut buffer = file.alloc_dma_buffer(padded as usize);
        let out = buffer.as_bytes_mut();
        out[..self.buffer.len()].copy_from_slice(&self.buffer);
        out[self.buffer.len()..].fill(0);
        Some(PreparedWrite { buffer, position: self.buffer_position, logical_end: self.end() })
    }

    /// Records that `write` reached the disk: whole blocks below its end leave the buffer, the
    /// partial last block stays to be rewritten.
    pub fn complete_write(&mut self, write_end: u64) {
        assert!(write_end >= self.written_end, "written end never goes back");
        assert!(write_end <= self.end(), "cannot write past the buffered data");
        let keep_from = write_end - write_end % DMA_BLOCK_BYTES;
        let drained = (keep_from - self.buffer_position) as usize;
        self.buffer.drain(..drained);
        self.buffer_position = keep_from;
        self.written_end = write_end;
    }
}

/// Writes a prepared write at its position. This is the only place log data is written.
pub async fn write_blocks(file: &DmaFile, path: &Path, write: PreparedWrite) -> StorageResult<u64> {
    let PreparedWrite { buffer, position, logical_end } = write;
    let len = buffer.len() as u64;
    assert_eq!(position % DMA_BLOCK_BYTES, 0, "direct I/O write position is block-aligned");
    assert_eq!(len % DMA_BLOCK_BYTES, 0, "direct I/O write length is whole blocks");
    assert_eq!(buffer.as_ptr() as usize % DMA_BLOCK_BYTES as usize, 0, "DMA buffer is aligned");
    assert!(position + len >= logical_end, "the write covers the logical end");
    let written = file
        .write_at(buffer, position)
        .await
        .map_err(|e| StorageError::from_glommio("writing", path, e))?;
    if (written as u64) < len {
        // A short direct write means the device could not take the blocks: treat it like the
        // error the kernel would give for the rest.
        return Err(StorageError::from_io(
            "writing",
            path,
            std::io::Error::from_raw_os_error(libc::ENOSPC),
        ));
    }
    Ok(logical_end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_partial_block_when_write_completes_should_keep_only_tail_block() {
        let mut appender = DmaAppender::new(0, Vec::new());
        appender.push(&[1u8; 5000]);
        assert_eq!(appender.pending_bytes(), 5000);
        appender.complete_write(5000);
        assert_eq!(appender.buffer_position(), 4096);
        assert_eq!(appender.end(), 5000);
        assert_eq!(appender.pending_bytes(), 0);
        appender.push(&[2u8; 100]);
        assert_eq!(appender.copy_buffered(4096, 904 + 100).map(|v| v.len()), Some(1004));
        assert_eq!(appender.copy_buffered(0, 10), None);
    }
}
